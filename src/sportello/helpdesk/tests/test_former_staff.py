"""Deleting a staff member keeps the tickets they worked on readable: their answers,
notes and events stay in the history under "former staff member"."""

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.helpdesk import actions
from sportello.helpdesk.models import Category, Message, Ticket
from sportello.testing import make_staff, make_ticket

pytestmark = pytest.mark.django_db


def test_deleting_an_agent_who_answered_keeps_the_ticket_pages(client, owner):
    helpdesk = Category.objects.get(code="hosting").department
    leaving = make_staff(departments=[helpdesk], email="leaving@sportello.example")
    staying = make_staff(departments=[helpdesk], email="staying@sportello.example")
    ticket = make_ticket(owner)
    now = timezone.now()
    actions.assign(ticket, staying, leaving, now)
    actions.reply_as_staff(ticket, leaving, "Ho riavviato il servizio web.", now)
    actions.add_note(ticket, leaving, "Il disco era pieno.", now, [])
    actions.set_status(ticket, leaving, Ticket.Status.WAITING, now)
    before = ticket.messages.count()

    leaving.delete()

    ticket.refresh_from_db()
    assert ticket.assignee is None
    assert ticket.messages.count() == before
    assert ticket.messages.filter(kind=Message.Kind.STAFF, author=None).exists()
    client.force_login(staying)
    page = client.get(reverse("desk:ticket", args=[ticket.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ho riavviato il servizio web." in html
    assert "Il disco era pieno." in html
    assert "ex membro dello staff" in html  # Italian, the staff member's language
    client.force_login(owner.owner)
    page = client.get(reverse("portal:ticket", args=[ticket.code]))
    assert page.status_code == 200
    assert "Ho riavviato il servizio web." in page.content.decode()
    # The queue lists the ticket no longer assigned.
    client.force_login(staying)
    assert client.get(reverse("desk:tickets") + "?status=waiting").status_code == 200
