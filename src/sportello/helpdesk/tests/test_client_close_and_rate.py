"""The client closes their own ticket and rates the answers with one click; the expected
first-answer time, the required fields and the attachment rules are shown up front."""

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.helpdesk import actions
from sportello.helpdesk.models import Category, Ticket
from sportello.testing import make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, owner):
    owner.owner.language = "en"
    owner.owner.save()
    client.force_login(owner.owner)
    return client


@pytest.fixture
def agent(db):
    helpdesk = Category.objects.get(code="hosting").department
    return make_staff(departments=[helpdesk], email="carla@sportello.example")


def test_the_client_closes_the_ticket_and_staff_are_not_alerted(logged_in, owner):
    ticket = make_ticket(owner)
    page = logged_in.get(reverse("portal:ticket", args=[ticket.code])).content.decode()
    assert "First answer expected by" in page and "Close the ticket" in page
    alerts = owner.emails.count()
    response = logged_in.post(reverse("portal:ticket_close", args=[ticket.code]), follow=True)
    assert "Ticket closed" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED and ticket.closed_at
    assert owner.emails.count() == alerts
    # Closing twice says so; a reply reopens it as before.
    response = logged_in.post(reverse("portal:ticket_close", args=[ticket.code]), follow=True)
    assert "already closed" in response.content.decode()
    actions.reply_as_client(ticket, owner.owner, "It is back", timezone.now())
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW


def test_rating_needs_an_answer_and_shows_to_staff(logged_in, client, owner, agent):
    ticket = make_ticket(owner)
    url = reverse("portal:ticket_rate", args=[ticket.code])
    assert (
        "How were our answers"
        not in logged_in.get(reverse("portal:ticket", args=[ticket.code])).content.decode()
    )
    response = logged_in.post(url, {"score": "3"}, follow=True)
    assert "once we have answered" in response.content.decode()

    actions.reply_as_staff(ticket, agent, "Fixed: the cache was full.", timezone.now())
    for junk in ["7", "x", "", "-1"]:
        logged_in.post(url, {"score": junk})
    ticket.refresh_from_db()
    assert ticket.satisfaction is None
    response = logged_in.post(url, {"score": "1"}, follow=True)
    response = logged_in.post(url, {"score": "3"}, follow=True)
    assert "Your rating: Good" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.satisfaction == 3 and ticket.rated_at

    client.force_login(agent)
    desk = client.get(reverse("desk:ticket", args=[ticket.code])).content.decode()
    assert "rating-3" in desk


def test_another_clients_ticket_cannot_be_closed_or_rated(logged_in, other_client):
    ticket = make_ticket(other_client)
    for name in ("portal:ticket_close", "portal:ticket_rate"):
        assert logged_in.post(reverse(name, args=[ticket.code]), {"score": "3"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW and ticket.satisfaction is None


def test_new_ticket_page_states_answer_times_required_fields_and_attachment_rules(logged_in):
    page = logged_in.get(reverse("portal:ticket_new")).content.decode()
    assert "When we answer" in page
    assert "4 hours" in page  # normal priority's first answer
    assert 'class="req"' in page and "required field" in page
    assert "Accepted types:" in page and "pdf" in page
    assert 'accept=".' in page
