"""Links in what clients write: staff always see the address a link leads to, and the
staff alert email carries no link built from a client's text."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from sportello.helpdesk import actions
from sportello.helpdesk.models import Category
from sportello.testing import make_staff, make_ticket

pytestmark = pytest.mark.django_db
HIDDEN_LINKS = (
    "Non riesco a pagare, ecco [la tua fattura](http://evil.example/x) "
    "e il portale http://bank.example@evil.example/login"
)


@pytest.fixture
def agent(db):
    helpdesk = Category.objects.get(code="hosting").department
    return make_staff(departments=[helpdesk], email="carla@sportello.example")


def anchors(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a\b[^>]*\bhref="([^"]*)"[^>]*>(.*?)</a>', html, re.S)


def test_a_client_link_shows_staff_the_address_it_leads_to_in_the_desk(client, owner, agent):
    ticket = make_ticket(owner, body=HIDDEN_LINKS)
    client.force_login(agent)
    page = client.get(reverse("desk:ticket", args=[ticket.code])).content.decode()
    to_evil = [(href, text) for href, text in anchors(page) if "evil.example" in href]
    assert to_evil, page
    # Every link into the client's text reads as the very address it opens.
    assert all(text == href for href, text in to_evil)
    assert "la tua fattura (" in page
    # The host a user name in front of it would hide is spelled out.
    assert "[evil.example]" in page


def test_a_look_alike_host_is_shown_to_staff_as_browsers_reach_it(client, owner, agent):
    ticket = make_ticket(owner, body="Accedi su http://\u0430pple.com/id per verificare")
    client.force_login(agent)
    page = client.get(reverse("desk:ticket", args=[ticket.code])).content.decode()
    assert "[xn--pple-43d.com]" in page


def test_staff_answers_keep_their_titled_links_for_the_client(client, owner, agent):
    ticket = make_ticket(owner)
    actions.reply_as_staff(ticket, agent, "Legga [la guida](https://kb.example/posta/)",
                           timezone.now())  # fmt: skip
    client.force_login(agent)
    page = client.get(reverse("desk:ticket", args=[ticket.code])).content.decode()
    assert ("https://kb.example/posta/", "la guida") in anchors(page)


def test_the_staff_alert_email_has_no_link_built_from_client_text(owner, agent, deliver_outbox):
    ticket = make_ticket(owner, body=HIDDEN_LINKS)
    sent = deliver_outbox(2)
    alert = next(mail for mail in sent if mail["To"] == agent.email)
    html = alert.get_body(("html",)).get_content()
    text = alert.get_body(("plain",)).get_content()
    desk = reverse("desk:ticket", args=[ticket.code])
    # The one link is the desk's own page of the ticket.
    assert [href for href, _text in anchors(html)] == [settings.SITE_URL + desk]
    assert "evil.example" in html  # shown, as text
    assert "[la tua fattura](http://evil.example/x)" in text
