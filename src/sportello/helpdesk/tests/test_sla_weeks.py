"""The SLA page's weekly figures: a finished week is computed once and recorded, only the
current week is computed on each view, and the figures are those a direct computation over
the tickets gives."""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sportello.helpdesk import sla
from sportello.helpdesk.models import Department, SlaWeek, Ticket
from sportello.testing import make_department, make_staff, make_ticket

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 11, 10, 11, 0, tzinfo=ROME)  # a Tuesday
MONDAY = date(2026, 11, 9)  # the current week's
FIRST_SHOWN = MONDAY - timedelta(weeks=sla.WEEKS - 1)
H = timedelta(hours=1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ROME)


def shape(ticket, *, created, first_due, solution_due, answered=None, closed=None,
          reopened=False, department=None):  # fmt: skip
    """The ticket's clocks as given; `reopened`: closed once, then open again (its closing
    time stays, it no longer counts as solved)."""
    if reopened:
        status = Ticket.Status.OPEN
    else:
        status = Ticket.Status.CLOSED if closed else (Ticket.Status.OPEN if answered else "new")
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=created,
        first_response_due=first_due,
        resolution_due=solution_due,
        first_responded_at=answered,
        status=status,
        closed_at=closed,
        last_activity_at=max(t for t in (created, answered, closed) if t) + reopened * H,
        department=department or ticket.department,
    )


def weeks_of_tickets(client, category, *, skip=(), shift=0, department=None, now=NOW):
    """A few tickets a week from the week before the first shown to the current one, none
    in the weeks `skip`: some late, one stopped either side of a Sunday midnight, one closed
    and reopened, one opened before the weeks shown; nothing stopped after `now`."""

    def upto_now(when):
        return when if when is not None and when <= now else None

    def add(**clocks):
        for name in ("answered", "closed"):
            clocks[name] = upto_now(clocks.get(name))
        if clocks["created"] > now:
            return
        ticket = make_ticket(client, category, subject="Sito lento")
        shape(ticket, department=department, **clocks)

    for n in range(-1, sla.WEEKS):
        if n in skip:
            continue
        monday = FIRST_SHOWN + timedelta(weeks=n)
        opened = at(monday, 9) + timedelta(days=n % 2)
        add(
            created=opened,
            first_due=opened + 4 * H,
            solution_due=opened + 24 * H,
            answered=opened + (1 + (n + shift) % 5) * H,
            closed=opened + (20 + 3 * n + shift) * H,
        )
        opened = at(monday + timedelta(days=2), 14)
        add(
            created=opened,
            first_due=opened + 2 * H,
            solution_due=opened + 8 * H,
            answered=opened + (3 + n % 2) * H + 30 * timedelta(minutes=1),
        )
        sunday = monday + timedelta(days=6)
        opened = at(sunday, 20)
        add(
            created=opened,
            first_due=opened + 8 * H,
            solution_due=opened + 30 * H,
            answered=at(sunday, 23, 30),
            closed=at(sunday + timedelta(days=1), 0, 30),
        )
        if n % 2 == 0:
            opened = at(monday + timedelta(days=3), 10)
            add(
                created=opened,
                first_due=opened + 4 * H,
                solution_due=opened + 24 * H,
                answered=opened + H,
                closed=opened + 5 * H,
                reopened=True,
            )
        if n == 0:
            opened = at(monday - timedelta(weeks=2), 10)
            add(created=opened, first_due=opened + 4 * H, solution_due=opened + 24 * H,
                answered=at(monday, 10), closed=at(monday + timedelta(days=1), 10))  # fmt: skip


def expected_weeks(department, now=NOW) -> dict[tuple[str, date], tuple]:
    """{(clock, Monday): (median taken, median allowed, count, met)} computed directly."""
    today = timezone.localdate(now)
    first_shown = today - timedelta(days=today.weekday(), weeks=sla.WEEKS - 1)
    pairs = defaultdict(list)
    for ticket in Ticket.objects.filter(department=department):
        stops = [("first", ticket.first_responded_at, ticket.first_response_due)]
        if ticket.status == Ticket.Status.CLOSED:
            stops.append(("solution", ticket.closed_at, ticket.resolution_due))
        for clock, stopped, due in stops:
            if stopped is None:
                continue
            day = timezone.localdate(stopped)
            monday = day - timedelta(days=day.weekday())
            if monday >= first_shown:
                pairs[clock, monday].append(
                    ((stopped - ticket.created_at) / H, (due - ticket.created_at) / H)
                )
    return {
        key: (
            round(median(t for t, _ in values), 6),
            round(median(a for _, a in values), 6),
            len(values),
            sum(t <= a for t, a in values),
        )
        for key, values in pairs.items()
    }


def shown(row) -> dict[tuple[str, date], tuple]:
    figures = {}
    for week in row.weeks:
        for clock in ("first", "solution"):
            c = getattr(week, clock)
            if c.count:
                figures[clock, week.start] = (
                    round(c.median, 6),
                    round(c.target, 6),
                    c.count,
                    c.met,
                )
            else:
                assert (c.median, c.target, c.met) == (None, None, 0)
    return figures


@pytest.fixture
def departments():
    return [Department.objects.get(code="helpdesk"), Department.objects.get(code="sales")]


@pytest.fixture
def history(owner, departments):
    weeks_of_tickets(owner, "hosting", skip={3, 7})
    weeks_of_tickets(owner, "administrative", skip={5}, shift=2)


def test_figures_are_those_computed_directly_over_the_tickets(history, departments):
    for view in ("first", "second"):
        rows = sla.department_figures(departments, NOW)
        for row in rows:
            assert [w.start for w in row.weeks] == [
                FIRST_SHOWN + timedelta(weeks=n) for n in range(sla.WEEKS)
            ]
            assert shown(row) == expected_weeks(row.department), view
    helpdesk = shown(rows[0])
    # Spot checks: nothing in the skipped week but the Monday-night closing of the week
    # before; the reopened ticket not solved, the one opened before the weeks shown counted.
    assert ("first", FIRST_SHOWN + timedelta(weeks=3)) not in helpdesk
    assert helpdesk["solution", FIRST_SHOWN + timedelta(weeks=3)] == (4.5, 30.0, 1, 1)
    assert helpdesk["solution", FIRST_SHOWN][2] == 3
    assert helpdesk["first", MONDAY] == (2.0, 4.0, 1, 1)
    assert helpdesk["solution", MONDAY] == (4.5, 30.0, 1, 1)
    # The finished weeks are recorded, a week without tickets too (count 0).
    assert SlaWeek.objects.count() == 2 * (sla.WEEKS - 1) * 2
    empty = SlaWeek.objects.get(
        department=departments[0], week=FIRST_SHOWN + timedelta(weeks=3), clock="first"
    )
    assert (empty.median, empty.target, empty.count, empty.met) == (None, None, 0, 0)
    assert not SlaWeek.objects.filter(week=MONDAY).exists()


@pytest.fixture
def computed(monkeypatch):
    """The arguments of each computation of weekly figures: (departments, first Monday,
    end Monday)."""
    calls = []
    compute = sla.week_clocks

    def spy(ids, first_day, end_day=None):
        calls.append((sorted(ids), first_day, end_day))
        return compute(ids, first_day, end_day)

    monkeypatch.setattr(sla, "week_clocks", spy)
    return calls


def clock_queries(queries) -> list[str]:
    """The queries reading the tickets answered or closed in some weeks (the others on the
    page do not look at the last activity)."""
    return [q["sql"] for q in queries if "last_activity_at" in q["sql"]]


@time_machine.travel(NOW, tick=False)
def test_a_second_view_computes_only_the_current_week(client, history, departments, computed):
    client.force_login(make_staff(departments=departments))
    ids = sorted(d.pk for d in departments)
    first = client.get(reverse("desk:sla"))
    assert computed == [(ids, FIRST_SHOWN, MONDAY), (ids, MONDAY, None)]
    computed.clear()
    with CaptureQueriesContext(connection) as queries:
        second = client.get(reverse("desk:sla"))
    assert computed == [(ids, MONDAY, None)]
    assert len(clock_queries(queries)) == (2 if connection.vendor == "postgresql" else 1)
    assert not [q for q in queries if "INSERT" in q["sql"]]
    assert [shown(row) for row in second.context["rows"]] == [
        shown(row) for row in first.context["rows"]
    ]


def test_the_week_that_ends_is_recorded_as_it_was(client, owner, history, departments):
    client.force_login(make_staff(departments=departments))
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("desk:sla"))
    sunday = MONDAY + timedelta(days=6)
    next_monday = MONDAY + timedelta(weeks=1)
    later = at(next_monday, 8)
    with time_machine.travel(at(sunday, 16), tick=False):
        ticket = make_ticket(owner, "hosting", subject="Posta ferma")
        shape(ticket, created=at(sunday, 12), first_due=at(sunday, 20), solution_due=at(sunday, 23),
              answered=at(sunday, 15))  # fmt: skip
    with time_machine.travel(later, tick=False):
        page = client.get(reverse("desk:sla"))
    helpdesk = page.context["rows"][0]
    assert helpdesk.weeks[-1].start == next_monday
    assert helpdesk.weeks[-2].start == MONDAY
    assert shown(helpdesk) == expected_weeks(departments[0], now=later)
    assert helpdesk.weeks[-2].first == sla.Clock(2.5, 6.0, 2, 2)
    recorded = SlaWeek.objects.get(department=departments[0], week=MONDAY, clock="first")
    assert (recorded.median, recorded.target, recorded.count, recorded.met) == (2.5, 6.0, 2, 2)
    assert SlaWeek.objects.filter(week=MONDAY).count() == 2 * 2

    # A ticket of the recorded week reopened and closed again counts in the week it is
    # closed again, and the recorded week keeps it.
    closed = Ticket.objects.get(
        department=departments[0], status=Ticket.Status.CLOSED, closed_at__gte=at(MONDAY, 0),
        closed_at__lt=at(next_monday, 0),
    )  # fmt: skip
    Ticket.objects.filter(pk=closed.pk).update(closed_at=later, last_activity_at=later)
    with time_machine.travel(later + H, tick=False):
        page = client.get(reverse("desk:sla"))
    helpdesk = page.context["rows"][0]
    assert helpdesk.weeks[-2].solution == sla.Clock(4.5, 30.0, 1, 1)
    assert helpdesk.weeks[-1].solution.count == 1


def test_a_department_added_later_gets_its_weeks(owner, history, departments, computed):
    sla.department_figures(departments, NOW)
    domains = make_department("domains", "Domini")
    weeks_of_tickets(owner, "hosting", skip={0, 1}, shift=1, department=domains)
    computed.clear()
    rows = sla.department_figures([*departments, domains], NOW)
    ids = sorted(d.pk for d in [*departments, domains])
    assert computed == [([domains.pk], FIRST_SHOWN, MONDAY), (ids, MONDAY, None)]
    assert SlaWeek.objects.filter(department=domains).count() == (sla.WEEKS - 1) * 2
    assert shown(rows[2]) == expected_weeks(domains)
    assert shown(rows[2])  # it has figures
