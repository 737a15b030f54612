"""The SLA page: per department what is open and late now, the oldest ticket waiting, the
clients' rating, and week by week the median times against the time allowed."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from sportello.helpdesk import sla
from sportello.helpdesk.models import Department, Ticket
from sportello.testing import make_staff, make_ticket

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 11, 10, 11, 0, tzinfo=ROME)  # a Tuesday
H = timedelta(hours=1)


def shape(ticket, *, created, first_due, solution_due, answered=None, closed=None,
          rating=None, rated=None):  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created,
        first_response_due=first_due,
        resolution_due=solution_due,
        first_responded_at=answered,
        status=Ticket.Status.CLOSED if closed else (Ticket.Status.OPEN if answered else "new"),
        closed_at=closed,
        last_activity_at=max(t for t in (created, answered, closed) if t),
        satisfaction=rating,
        rated_at=rated,
    )
    return Ticket.objects.get(pk=ticket.pk)


@pytest.fixture
def known(owner):
    a, b, c, d, e = (make_ticket(owner, subject=f"Sito {n} lento") for n in "ABCDE")
    week_ago = NOW - timedelta(days=7)
    return {
        "A": shape(a, created=NOW - 2 * H, first_due=NOW + 2 * H, solution_due=NOW + 22 * H,
                   answered=NOW - H),
        "B": shape(b, created=NOW - 10 * H, first_due=NOW - 6 * H, solution_due=NOW + 14 * H,
                   answered=NOW - 4 * H, closed=NOW - 2 * H, rating=3, rated=NOW - H),
        "C": shape(c, created=week_ago, first_due=week_ago + 4 * H, solution_due=week_ago + 24 * H,
                   answered=week_ago + 2 * H, closed=week_ago + 30 * H, rating=1,
                   rated=week_ago + 31 * H),
        "D": shape(d, created=NOW - 5 * H, first_due=NOW - H,
                   solution_due=NOW - timedelta(minutes=10)),
        "E": shape(e, created=NOW - 3 * H, first_due=NOW + timedelta(minutes=30),
                   solution_due=NOW + 20 * H),
        "sales": make_ticket(owner, "administrative", subject="Fattura doppia"),
    }  # fmt: skip


def test_figures_for_a_known_set(known):
    helpdesk = Department.objects.get(code="helpdesk")
    [row] = sla.department_figures([helpdesk], NOW)
    assert (row.open, row.first_late, row.solution_late, row.due_soon) == (3, 1, 1, 1)
    assert row.oldest.code == known["D"].code
    assert (row.rating, row.ratings) == (2.0, 2)
    assert len(row.weeks) == sla.WEEKS
    this_week, last_week = row.weeks[-1], row.weeks[-2]
    assert this_week.start.isoformat() == "2026-11-09"
    assert this_week.first == sla.Clock(3.5, 4.0, 2, 1)
    assert this_week.solution == sla.Clock(8.0, 24.0, 1, 1)
    assert last_week.first == sla.Clock(2.0, 4.0, 1, 1)
    assert last_week.solution == sla.Clock(30.0, 24.0, 1, 0)
    assert all(not week.first.count and not week.solution.count for week in row.weeks[:-2])


@time_machine.travel(NOW, tick=False)
def test_page_shows_the_agents_departments_with_chart_and_table(client, known):
    agent = make_staff(departments=[Department.objects.get(code="helpdesk")])
    client.force_login(agent)
    page = client.get(reverse("desk:sla"))
    assert page.status_code == 200
    assert [row.department.code for row in page.context["rows"]] == ["helpdesk"]
    html = page.content.decode()
    assert html.count('<svg class="chart sla-chart"') == 2
    assert "<script" not in html.split("<main")[1].split("</main>")[0]
    assert f'href="/desk/tickets/{known["D"].code}/"' in html
    assert "3,5" in html  # the table, in Italian
    assert "2,0 / 3" in html
    assert 'href="/desk/sla/"' in html  # in the desk's menu
