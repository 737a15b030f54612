"""Bulk actions from the queue: a confirmation page says what will happen to how many
tickets; once confirmed, each ticket goes through the ticket page's action in its own
transaction, with its notice and an audit row; tickets outside the agent's departments
are skipped and the result says so."""

from html import unescape

import pytest
from django.urls import reverse

from sportello.core.models import AuditEvent
from sportello.helpdesk.models import Category, Department, Ticket
from sportello.mail.models import OutboundEmail
from sportello.testing import make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    staff = make_staff(departments=[Department.objects.get(code="helpdesk")])
    client.force_login(staff)
    return staff


def test_bulk_close_asks_first_then_closes_with_notices_and_audit(client, agent, owner):
    ours = [make_ticket(owner, subject=f"Sito {n} lento") for n in range(3)]
    theirs = make_ticket(owner, "administrative", subject="Fattura doppia")
    already = make_ticket(owner, subject="Già risolto")
    Ticket.objects.filter(pk=already.pk).update(status="closed")
    chosen = {"ticket": [t.pk for t in [*ours, theirs, already]], "operation": "close"}
    notices = OutboundEmail.objects.filter(template="ticket_status").count()

    # The queue's form posts here: nothing changes yet, the page asks.
    for answer in (client.get(reverse("desk:tickets_bulk"), chosen),
                   client.post(reverse("desk:tickets_bulk"), chosen)):  # fmt: skip
        assert answer.status_code == 200
        html = unescape(answer.content.decode())
        assert "Chiudere 4 ticket? I clienti ricevono l'avviso di chiusura." in html
        assert "non è nei tuoi reparti" in html
        assert theirs.code not in html
    assert not Ticket.objects.filter(pk__in=[t.pk for t in ours], status="closed").exists()

    response = client.post(
        reverse("desk:tickets_bulk"), {**chosen, "confirm": "1", "next": "/desk/tickets/?x=1"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/desk/tickets/?x=1"
    assert set(Ticket.objects.filter(status="closed").values_list("pk", flat=True)) == {
        *(t.pk for t in ours), already.pk,
    }  # fmt: skip
    theirs.refresh_from_db()
    assert theirs.status == "new"
    assert OutboundEmail.objects.filter(template="ticket_status").count() == notices + 3
    rows = AuditEvent.objects.filter(action=AuditEvent.Action.TICKETS_CHANGED_IN_BULK)
    assert sorted(rows.values_list("detail", flat=True)) == sorted(
        f"{t.code}: closed" for t in ours
    )
    assert all(row.actor_id == agent.pk for row in rows)
    shown = [str(m) for m in response.wsgi_request._messages]
    assert shown[0] == "3 ticket modificati."
    assert shown[1].startswith("2 ticket saltati")
    assert "non nei tuoi reparti: 1" in shown[1] and "già come richiesto: 1" in shown[1]


def test_bulk_assign_move_and_priority(client, agent, owner):
    helpdesk = Department.objects.get(code="helpdesk")
    colleague = make_staff(departments=[helpdesk], email="dario@sportello.example")
    outsider = make_staff(departments=[Department.objects.get(code="sales")])
    tickets = [make_ticket(owner, subject=f"Posta {n} ferma") for n in range(2)]
    ids = [t.pk for t in tickets]
    url = reverse("desk:tickets_bulk")

    client.post(url, {"ticket": ids, "operation": "assign", "assignee": colleague.pk,
                      "confirm": "1"})  # fmt: skip
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {colleague.pk}
    # Someone outside the department: the ticket page's rule refuses each ticket.
    response = client.post(url, {"ticket": ids, "operation": "assign", "assignee": outsider.pk,
                                 "confirm": "1"})  # fmt: skip
    assert "non lavora in questo reparto" in str(list(response.wsgi_request._messages)[-1])
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {colleague.pk}

    high = {"ticket": ids, "operation": "priority", "priority": "high"}
    assert "Impostare la priorità di 2 ticket a Alta?" in client.get(url, high).content.decode()
    before = Ticket.objects.get(pk=ids[0]).resolution_due
    client.post(url, {**high, "confirm": "1"})
    assert set(Ticket.objects.values_list("priority", flat=True)) == {"high"}
    assert Ticket.objects.get(pk=ids[0]).resolution_due < before

    sales = Category.objects.get(code="administrative")
    move = {"ticket": ids, "operation": "move", "category": sales.pk, "confirm": "1"}
    page = client.post(url, move)  # no reason: asked again, nothing moved
    assert page.status_code == 200 and "Indica perché" in page.content.decode()
    assert not Ticket.objects.filter(category=sales).exists()
    client.post(url, {**move, "reason": "Sono fatture"})
    assert Ticket.objects.filter(category=sales).count() == 2
    assert AuditEvent.objects.filter(action="ticket_moved").count() == 2


def test_nothing_chosen_or_junk_says_so(client, agent):
    for query in ({}, {"ticket": "x", "operation": "close"}, {"ticket": "1", "operation": "zap"},
                  {"ticket": "1", "operation": "priority", "priority": "huge"}):  # fmt: skip
        page = client.get(reverse("desk:tickets_bulk"), query)
        assert page.status_code == 200
        assert 'role="alert"' in page.content.decode()
