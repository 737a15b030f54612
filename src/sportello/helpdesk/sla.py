"""The service levels per department, as the SLA page shows them: what is open and late
now, and week by week how long the first answer and the solution took against the time
allowed. Read-only; the figures are computed from the tickets' own clocks."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

from django.db import connection
from django.db.models import Avg, Count, Q
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .models import Department, Ticket

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


def department_figures(departments, now: datetime, weeks: int = WEEKS) -> list[DepartmentSla]:
    """One row per department: a grouped count of the open tickets, the oldest ticket on
    the clock, the ratings, and the week-by-week times, in a query per department plus
    four."""
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
    start = timezone.make_aware(datetime.combine(start_day, datetime.min.time()))
    ratings = (
        tickets.filter(rated_at__gte=start)
        .values_list("department")
        .annotate(average=Avg("satisfaction"), n=Count("pk"))
        .order_by()
    )
    for department, average, n in ratings:
        rows[department].rating, rows[department].ratings = average, n
    for row in rows.values():
        row.weeks = [Week(start_day + timedelta(weeks=n)) for n in range(weeks)]

    clocks = weekly_clocks if connection.vendor == "postgresql" else weekly_clocks_in_python
    for (department, clock, week), figures in clocks(list(rows), start, start_day).items():
        if 0 <= week < weeks:
            setattr(rows[department].weeks[week], clock, figures)
    return list(rows.values())


# What each clock measures: when it stopped, when it was due, and which tickets count.
CLOCKS = {
    "first": ("first_responded_at", "first_response_due", ""),
    "solution": ("closed_at", "resolution_due", "status = 'closed'"),
}


def weekly_clocks(ids: list[int], start: datetime, start_day: date) -> dict:
    """{(department, clock, week number): Clock}, the medians computed by PostgreSQL, so
    only a row per department and week comes back. A ticket answered or closed since
    `start` was active since then: the activity index bounds the rows read."""
    zone = timezone.get_current_timezone_name()
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
                      {"AND " + condition if condition else ""}
                GROUP BY 1, 2
                """,  # noqa: S608 (the names come from CLOCKS above, the values are bound)
                [zone, start_day, ids, start, start],
            )
            for department, week, taken, allowed, count, met in cursor.fetchall():
                figures[department, clock, int(week)] = Clock(taken, allowed, count, met)
    return figures


def weekly_clocks_in_python(ids: list[int], start: datetime, start_day: date) -> dict:
    """The same figures where the database has no median (SQLite): the rows of the weeks
    shown, computed here."""

    def week_of(when: datetime) -> int:
        return (timezone.localdate(when) - start_day).days // 7

    pairs: dict[tuple[int, str, int], list[tuple[float, float]]] = {}
    recent = (
        Ticket.objects.filter(department__in=ids, last_activity_at__gte=start)
        .filter(
            Q(first_responded_at__gte=start) | Q(status=Ticket.Status.CLOSED, closed_at__gte=start)
        )
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
        if answered is not None and answered >= start:
            pairs.setdefault((department, "first", week_of(answered)), []).append(
                (hours(answered - created), hours(first_due - created))
            )
        if status == Ticket.Status.CLOSED and closed is not None and closed >= start:
            pairs.setdefault((department, "solution", week_of(closed)), []).append(
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
