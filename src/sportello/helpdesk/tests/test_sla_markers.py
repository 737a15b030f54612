"""Due times staff can see: the first answer and the solution, each marked overdue or due
soon until it is met, and the late filter finding breaches of either clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from sportello.helpdesk import actions
from sportello.helpdesk.models import Department, Ticket
from sportello.testing import make_staff, make_ticket

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 11, 10, 11, 0, tzinfo=ROME)


def set_due(ticket, *, first, solution, answered=None):
    Ticket.objects.filter(pk=ticket.pk).update(
        first_response_due=NOW + first, resolution_due=NOW + solution, first_responded_at=answered
    )
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def agent(client):
    staff = make_staff(departments=[Department.objects.get(code="helpdesk")])
    client.force_login(staff)
    return staff


@pytest.fixture
def tickets(owner):
    hour = timedelta(hours=1)
    return {
        # No answer yet, its first-answer time passed, its solution still far.
        "unanswered": set_due(make_ticket(owner, subject="Posta ferma"), first=-hour,
                              solution=20 * hour),
        "solution_late": set_due(make_ticket(owner, subject="Sito lento"), first=-9 * hour,
                                 solution=-hour, answered=NOW - 10 * hour),
        "first_soon": set_due(make_ticket(owner, subject="DNS da cambiare"),
                              first=timedelta(minutes=30), solution=20 * hour),
        "answered_in_time": set_due(make_ticket(owner, subject="Backup"), first=-hour,
                                    solution=30 * hour, answered=NOW - 2 * hour),
    }  # fmt: skip


def test_states_of_each_clock(tickets):
    states = {name: (t.first_answer_state(NOW), t.due_state(NOW)) for name, t in tickets.items()}
    assert states == {
        "unanswered": ("late", ""),
        "solution_late": ("", "late"),
        "first_soon": ("soon", ""),
        "answered_in_time": ("", ""),
    }
    # A ticket waiting for the client is off the clock: nothing is overdue.
    waiting = tickets["unanswered"]
    waiting.status = Ticket.Status.WAITING
    assert waiting.sla_state(NOW) == ""


@time_machine.travel(NOW, tick=False)
def test_queue_marks_and_late_filter_finds_first_answer_breaches(client, agent, tickets):
    page = client.get(reverse("desk:tickets"), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    row = html.split(f'id="row-{tickets["unanswered"].code}"')[1].split("</tr>")[0]
    assert 'class="badge late"' in row.split('class="sla-solution"')[0]
    assert 'class="badge late"' not in row.split('class="sla-solution"')[1]
    row = html.split(f'id="row-{tickets["first_soon"].code}"')[1].split("</tr>")[0]
    assert 'class="badge soon"' in row
    row = html.split(f'id="row-{tickets["answered_in_time"].code}"')[1].split("</tr>")[0]
    assert "badge late" not in row and "badge soon" not in row

    late = client.get(reverse("desk:tickets"), {"due": "late"}).context["tickets"]
    assert {t.code for t in late} == {tickets["unanswered"].code, tickets["solution_late"].code}
    soon = client.get(reverse("desk:tickets"), {"due": "soon"}).context["tickets"]
    assert [t.code for t in soon] == [tickets["first_soon"].code]
    counts = {d.code: d.late_count for d in page.context["departments"]}
    assert counts == {"helpdesk": 2}

    # Answering meets the first-answer time: the ticket leaves the late filter.
    actions.reply_as_staff(tickets["unanswered"], agent, "Ecco.", NOW)
    late = client.get(reverse("desk:tickets"), {"due": "late"}).context["tickets"]
    assert [t.code for t in late] == [tickets["solution_late"].code]


@time_machine.travel(NOW, tick=False)
def test_ticket_page_marks_both_due_times(client, agent, tickets):
    html = client.get(reverse("desk:ticket", args=[tickets["unanswered"].code])).content.decode()
    first = html.split('class="sla-first"')[1].split("</dd>")[0]
    solution = html.split('class="sla-solution"')[1].split("</dd>")[0]
    assert "badge late" in first and "in ritardo" in first
    assert "badge" not in solution
