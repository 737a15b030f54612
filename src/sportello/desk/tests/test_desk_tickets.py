"""The staff desk: queues, the ticket page and its actions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.helpdesk import actions
from sportello.helpdesk.models import CannedReply, Department, Ticket
from sportello.testing import make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def helpdesk():
    return Department.objects.get(code="helpdesk")


@pytest.fixture
def agent(client, helpdesk):
    staff = make_staff(departments=[helpdesk], email="carla@sportello.example")
    staff.first_name = "Carla"
    staff.save()
    client.force_login(staff)
    return staff


def test_queue_counts_and_filters(client, agent, owner, helpdesk):
    late = make_ticket(owner, subject="Sito giù da ieri", now=timezone.now() - timedelta(days=10))
    fresh = make_ticket(owner, "dns", subject="Record MX di olga.it")
    make_ticket(owner, "administrative", subject="Fattura doppia")  # Sales: not in this queue
    page = client.get(reverse("desk:tickets"))
    assert [t.code for t in page.context["tickets"]] == [late.code, fresh.code]
    counts = {d.code: d.open_count for d in page.context["departments"]}
    assert counts == {"helpdesk": 2}
    only_late = client.get(reverse("desk:tickets"), {"due": "late"}).context["tickets"]
    assert [t.code for t in only_late] == [late.code]
    actions.assign(fresh, agent, agent, timezone.now())
    mine = client.get(reverse("desk:tickets"), {"assignee": "me"}).context["tickets"]
    assert [t.code for t in mine] == [fresh.code]


def test_reply_from_the_ticket_page_and_wait_for_the_client(client, agent, owner):
    ticket = make_ticket(owner)
    page = client.get(reverse("desk:ticket", args=[ticket.code]))
    seen = page.context["forms"]["reply"].initial["seen"]
    response = client.post(
        reverse("desk:ticket", args=[ticket.code]),
        {"action": "reply", "body": "Ci mandi lo screenshot?", "then": "waiting", "seen": seen},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.WAITING
    assert ticket.messages.filter(kind="staff", body="Ci mandi lo screenshot?").exists()


def test_a_newer_message_stops_the_reply(client, agent, owner):
    ticket = make_ticket(owner)
    seen = client.get(reverse("desk:ticket", args=[ticket.code])).context["forms"]["reply"]
    seen = seen.initial["seen"]
    actions.reply_as_client(ticket, owner.owner, "Anzi, è tornato a funzionare", timezone.now())
    response = client.post(
        reverse("desk:ticket", args=[ticket.code]),
        {"action": "reply", "body": "Riavviato", "then": "open", "seen": seen},
    )
    assert response.status_code == 200
    assert "Mentre scrivevi è stato aggiunto qualcosa al ticket" in response.content.decode()
    assert not ticket.messages.filter(kind="staff").exists()


def test_collision_warning_shows_who_else_is_on_the_ticket(client, agent, owner, helpdesk):
    ticket = make_ticket(owner)
    other = make_staff(departments=[helpdesk], email="dario@sportello.example")
    actions.record_presence(ticket, other, timezone.now(), replying=True)
    page = client.get(reverse("desk:ticket", args=[ticket.code])).content.decode()
    assert "dario@sportello.example" in page
    response = client.post(reverse("desk:ticket_presence", args=[ticket.code]), {"replying": "0"})
    assert "dario@sportello.example" in response.content.decode()


def test_canned_reply_in_the_clients_language_with_placeholders(client, agent, owner):
    ticket = make_ticket(owner)
    canned = CannedReply.objects.create(
        title="Riavvio", language="it", body="Gentile {client}, ticket {code}: riavviato. {agent}"
    )
    CannedReply.objects.create(title="Restart", language="en", body="Dear {client}")
    page = client.get(reverse("desk:ticket", args=[ticket.code]), {"canned": canned.pk})
    assert [reply.title for reply, _text in page.context["canned"]] == ["Riavvio"]
    body = page.context["forms"]["reply"].initial["body"]
    assert body == f"Gentile Olga Owner, ticket {ticket.code}: riavviato. Carla"


def test_move_merge_and_hold_from_the_page(client, agent, owner):
    first = make_ticket(owner, subject="Posta non arriva")
    second = make_ticket(owner, subject="Email ferma da ieri")
    url = reverse("desk:ticket", args=[second.code])
    response = client.post(url, {"action": "merge", "target": first.code.lower()})
    assert response.status_code == 200  # asked first: what will happen
    assert second.code in response.content.decode()
    response = client.post(url, {"action": "merge", "target": first.code.lower(), "confirmed": "1"})
    assert response["Location"] == reverse("desk:ticket", args=[first.code])
    url = reverse("desk:ticket", args=[first.code])
    client.post(url, {"action": "hold", "description": "Reset password della casella"})
    assert first.held_requests.get().status == "pending"
    from sportello.helpdesk.models import Category

    sales = Category.objects.get(code="administrative")
    response = client.post(url, {"action": "move", "category": sales.pk, "reason": "Fatture"})
    assert response["Location"] == reverse("desk:tickets")  # no longer in the agent's queue
