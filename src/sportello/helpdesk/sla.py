"""The service levels per department, as the SLA page shows them: what is open and late
now, and week by week how long the first answer and the solution took against the time
allowed. The figures are computed from the tickets' own clocks.

A finished week (the weeks before the current one; a week is a local Monday to Sunday) is
computed once, on the first view after it is over, and kept in `SlaWeek`; each view then
computes only the current week. A recorded week stays as the figures were when it was
computed: a ticket reopened and closed again later counts in the week it is closed again,
and is not taken out of the week already recorded.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from statistics import median

from django.db import connection
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .models import Department, SlaWeek, Ticket

WEEKS = 12
HOUR = timedelta(hours=1)


@dataclass
class Clock:
    """One clock (first answer or solution) over one week: the median hours taken, the
    median hours allowed (the due time less the opening), how many tickets, how many in
    time."""

    median: float | None = None
    target: float | None = None
    count: int = 0
    met: int = 0

    @classmethod
    def of(cls, pairs: list[tuple[float, float]]) -> "Clock":
        if not pairs:
            return cls()
        return cls(
            median(taken for taken, _ in pairs),
            median(allowed for _, allowed in pairs),
            len(pairs),
            sum(taken <= allowed for taken, allowed in pairs),
        )


@dataclass
class Week:
    start: date
    first: Clock = field(default_factory=Clock)
    solution: Clock = field(default_factory=Clock)


@dataclass
class DepartmentSla:
    department: Department
    open: int = 0
    first_late: int = 0
    solution_late: int = 0
    due_soon: int = 0
    oldest: Ticket | None = None
    rating: float | None = None
    ratings: int = 0
    weeks: list[Week] = field(default_factory=list)

    def first_chart(self) -> SafeString:
        return chart(
            _("First answer"),
            [(w.start, w.first.median, w.first.target) for w in self.weeks],
        )

    def solution_chart(self) -> SafeString:
        return chart(
            _("Solution"),
            [(w.start, w.solution.median, w.solution.target) for w in self.weeks],
        )


def first_week(now: datetime, weeks: int = WEEKS) -> date:
    """The Monday, in local time, that starts the first of the `weeks` shown (the current
    one last)."""
    today = timezone.localdate(now)
    return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)


def hours(delta: timedelta) -> float:
    return delta / HOUR


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def department_figures(departments, now: datetime, weeks: int = WEEKS) -> list[DepartmentSla]:
    """One row per department: a grouped count of the open tickets, the oldest ticket on
    the clock, the ratings, the recorded weeks and the current week's times, in a query per
    department plus four (five on PostgreSQL); on the first view after a week ends, the
    weeks not recorded yet are computed and recorded too."""
    rows = {d.pk: DepartmentSla(d) for d in departments}
    if not rows:
        return []
    tickets = Ticket.objects.filter(department__in=list(rows))
    clock = Q(status__in=Ticket.ON_THE_CLOCK)
    counts = (
        tickets.open()
        .values_list("department")
        .annotate(
            total=Count("pk"),
            first_late=Count(
                "pk", filter=clock & Q(first_responded_at__isnull=True, first_response_due__lte=now)
            ),
            solution_late=Count("pk", filter=clock & Q(resolution_due__lte=now)),
            soon=Count("pk", filter=Ticket.soon_at(now)),
        )
        .order_by()
    )
    for department, total, first_late, solution_late, soon in counts:
        row = rows[department]
        row.open, row.first_late, row.solution_late, row.due_soon = (
            total, first_late, solution_late, soon,
        )  # fmt: skip
    for row in rows.values():
        row.oldest = (
            tickets.filter(department=row.department, status__in=Ticket.ON_THE_CLOCK)
            .order_by("created_at", "id")
            .only("code", "subject", "created_at", "department_id")
            .first()
        )
    start_day = first_week(now, weeks)
    ratings = (
        tickets.filter(rated_at__gte=local_midnight(start_day))
        .values_list("department")
        .annotate(average=Avg("satisfaction"), n=Count("pk"))
        .order_by()
    )
    for department, average, n in ratings:
        rows[department].rating, rows[department].ratings = average, n
    for row in rows.values():
        row.weeks = [Week(start_day + timedelta(weeks=n)) for n in range(weeks)]

    this_week = start_day + timedelta(weeks=weeks - 1)
    figures = finished_weeks(list(rows), start_day, this_week)
    figures.update(week_clocks(list(rows), this_week))
    for (department, clock, monday), clock_figures in figures.items():
        week = (monday - start_day).days // 7
        if 0 <= week < weeks:
            setattr(rows[department].weeks[week], clock, clock_figures)
    return list(rows.values())


def finished_weeks(ids: list[int], first_day: date, end_day: date) -> dict:
    """{(department, clock, Monday): Clock} of the finished weeks from `first_day` up to
    `end_day` (excluded): those recorded, and the others computed now and recorded, in one
    computation over the span of the missing weeks for the departments missing any."""
    figures = {
        (department, clock, week): Clock(median, target, count, met)
        for department, clock, week, median, target, count, met in SlaWeek.objects.filter(
            department__in=ids, week__gte=first_day, week__lt=end_day
        ).values_list("department", "clock", "week", "median", "target", "count", "met")
    }
    mondays = [first_day + timedelta(weeks=n) for n in range((end_day - first_day).days // 7)]
    missing = [
        (department, monday)
        for department in ids
        for monday in mondays
        if any((department, clock, monday) not in figures for clock in CLOCKS)
    ]
    if not missing:
        return figures
    computed = week_clocks(
        sorted({department for department, _ in missing}),
        min(monday for _, monday in missing),
        max(monday for _, monday in missing) + timedelta(weeks=1),
    )
    # A week without tickets is recorded too, with a count of 0, so that it is known: the
    # row it would have anyway, rather than a second table of weeks seen.
    recorded = []
    for department, monday in missing:
        for clock in CLOCKS:
            figures[department, clock, monday] = found = computed.get(
                (department, clock, monday), Clock()
            )
            recorded.append(
                SlaWeek(
                    department_id=department,
                    week=monday,
                    clock=clock,
                    median=found.median,
                    target=found.target,
                    count=found.count,
                    met=found.met,
                )
            )
    # Two first views at once compute the same weeks: the second one's rows are dropped.
    SlaWeek.objects.bulk_create(recorded, ignore_conflicts=True)
    return figures


# What each clock measures: when it stopped, when it was due, and which tickets count.
CLOCKS = {
    "first": ("first_responded_at", "first_response_due", ""),
    "solution": ("closed_at", "resolution_due", "status = 'closed'"),
}


def week_clocks(ids: list[int], first_day: date, end_day: date | None = None) -> dict:
    """{(department, clock, Monday): Clock} of the weeks from the Monday `first_day` up to
    the Monday `end_day` (excluded; none: up to now), by the tickets answered or closed
    then."""
    clocks = weekly_clocks if connection.vendor == "postgresql" else weekly_clocks_in_python
    return clocks(ids, first_day, end_day)


def weekly_clocks(ids: list[int], first_day: date, end_day: date | None) -> dict:
    """The medians computed by PostgreSQL, so only a row per department and week comes
    back. A ticket answered or closed since `first_day` was active since then: the activity
    index bounds the rows read."""
    zone = timezone.get_current_timezone_name()
    start = local_midnight(first_day)
    end = [local_midnight(end_day)] if end_day else []
    figures = {}
    with connection.cursor() as cursor:
        for clock, (stopped, due, condition) in CLOCKS.items():
            cursor.execute(
                f"""
                SELECT department_id,
                       ((({stopped} AT TIME ZONE %s)::date - %s::date) / 7) AS week,
                       percentile_cont(0.5) WITHIN GROUP (
                           ORDER BY extract(epoch FROM {stopped} - created_at)) / 3600,
                       percentile_cont(0.5) WITHIN GROUP (
                           ORDER BY extract(epoch FROM {due} - created_at)) / 3600,
                       count(*), count(*) FILTER (WHERE {stopped} <= {due})
                FROM helpdesk_ticket
                WHERE department_id = ANY(%s) AND last_activity_at >= %s AND {stopped} >= %s
                      {f"AND {stopped} < %s" if end else ""}
                      {"AND " + condition if condition else ""}
                GROUP BY 1, 2
                """,  # noqa: S608 (the names come from CLOCKS above, the values are bound)
                [zone, first_day, ids, start, start, *end],
            )
            for department, week, taken, allowed, count, met in cursor.fetchall():
                monday = first_day + timedelta(weeks=int(week))
                figures[department, clock, monday] = Clock(taken, allowed, count, met)
    return figures


def weekly_clocks_in_python(ids: list[int], first_day: date, end_day: date | None) -> dict:
    """The same figures where the database has no median (SQLite): the rows of the weeks
    asked for, computed here."""

    def monday_of(when: datetime) -> date:
        day = timezone.localdate(when)
        return day - timedelta(days=day.weekday())

    start = local_midnight(first_day)
    end = local_midnight(end_day) if end_day else None

    def within(when: datetime) -> bool:
        return when >= start and (end is None or when < end)

    answered_then = Q(first_responded_at__gte=start)
    closed_then = Q(status=Ticket.Status.CLOSED, closed_at__gte=start)
    if end is not None:
        answered_then &= Q(first_responded_at__lt=end)
        closed_then &= Q(closed_at__lt=end)
    pairs: dict[tuple[int, str, date], list[tuple[float, float]]] = {}
    recent = (
        Ticket.objects.filter(department__in=ids, last_activity_at__gte=start)
        .filter(answered_then | closed_then)
        .values_list(
            "department",
            "status",
            "created_at",
            "first_response_due",
            "first_responded_at",
            "resolution_due",
            "closed_at",
        )  # fmt: skip
        .order_by()
    )
    for department, status, created, first_due, answered, solution_due, closed in recent:
        if answered is not None and within(answered):
            pairs.setdefault((department, "first", monday_of(answered)), []).append(
                (hours(answered - created), hours(first_due - created))
            )
        if status == Ticket.Status.CLOSED and closed is not None and within(closed):
            pairs.setdefault((department, "solution", monday_of(closed)), []).append(
                (hours(closed - created), hours(solution_due - created))
            )
    return {key: Clock.of(values) for key, values in pairs.items()}


# --- The chart: inline SVG drawn here, so the page needs no script -------------------------

WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 54, 8, 32, 40


def _hours_label(value: float) -> str:
    return number_format(value, 1)


def chart(title: str, points: list[tuple[date, float | None, float | None]]) -> SafeString:
    """Bars of the median hours taken per week, and a dashed line of the median hours
    allowed; the figures are also in the table beside it."""
    values = [v for _, taken, allowed in points for v in (taken, allowed) if v is not None]
    top = max(values, default=1.0) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(points), 1)

    def y(value: float) -> float:
        return TOP + plot_h - value / top * plot_h

    bars, line, labels = [], [], []
    for n, (week, taken, allowed) in enumerate(points):
        x = LEFT + n * slot
        if taken is not None:
            bars.append((round(x + slot * 0.2, 1), round(y(taken), 1), round(slot * 0.6, 1),
                         round(TOP + plot_h - y(taken), 1), _hours_label(taken)))  # fmt: skip
        if allowed is not None:
            line.append(f"{round(x + slot / 2, 1)},{round(y(allowed), 1)}")
        if n % 2 == 0:
            labels.append((round(x + slot / 2, 1), HEIGHT - BOTTOM + 20,
                           date_format(week, "d/m")))  # fmt: skip
    grid = [(round(y(v), 1), _hours_label(v)) for v in (0, top / 2, top)]
    return format_html(
        '<svg class="chart sla-chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}">'
        '<title>{title}</title><text x="{left}" y="18" class="sla-title">{title} ({unit})</text>'
        "{grid}{bars}{line}{labels}</svg>",
        w=WIDTH,
        h=HEIGHT,
        left=LEFT,
        title=title,
        unit=_("median hours"),
        grid=format_html_join(
            "",
            '<line x1="{}" x2="{}" y1="{}" y2="{}" class="axis"/>'
            '<text x="{}" y="{}" class="tick" text-anchor="end">{}</text>',
            ((LEFT, WIDTH - RIGHT, gy, gy, LEFT - 4, gy + 4, label) for gy, label in grid),
        ),
        bars=format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" class="bar"><title>{}</title></rect>',
            bars,
        ),
        line=format_html('<polyline points="{}" class="target"/>', " ".join(line))
        if len(line) > 1
        else "",
        labels=format_html_join(
            "", '<text x="{}" y="{}" class="tick" text-anchor="middle">{}</text>', labels
        ),
    )
