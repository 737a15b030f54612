"""The service levels per department, as the SLA page shows them: what is open and late
now, and week by week how long the first answer and the solution took against the time
allowed. Read-only; the figures are computed from the tickets' own clocks."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median

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
class Week:
    start: date
    # Hours taken and hours allowed (the due time less the opening), one pair per ticket.
    first: list[tuple[float, float]] = field(default_factory=list)
    solution: list[tuple[float, float]] = field(default_factory=list)

    @staticmethod
    def _medians(pairs):
        if not pairs:
            return None, None
        return median(p[0] for p in pairs), median(p[1] for p in pairs)

    @property
    def first_median(self):
        return self._medians(self.first)[0]

    @property
    def first_target(self):
        return self._medians(self.first)[1]

    @property
    def first_met(self) -> int:
        return sum(taken <= allowed for taken, allowed in self.first)

    @property
    def solution_median(self):
        return self._medians(self.solution)[0]

    @property
    def solution_target(self):
        return self._medians(self.solution)[1]

    @property
    def solution_met(self) -> int:
        return sum(taken <= allowed for taken, allowed in self.solution)


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
            [(w.start, w.first_median, w.first_target) for w in self.weeks],
        )

    def solution_chart(self) -> SafeString:
        return chart(
            _("Solution"),
            [(w.start, w.solution_median, w.solution_target) for w in self.weeks],
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

    def week_of(when: datetime) -> int:
        return (timezone.localdate(when) - start_day).days // 7

    # A ticket answered or closed since `start` was active since then: the activity index
    # bounds the rows read, however many tickets there are.
    recent = (
        tickets.filter(last_activity_at__gte=start)
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
        row = rows[department]
        if answered is not None and answered >= start:
            row.weeks[week_of(answered)].first.append(
                (hours(answered - created), hours(first_due - created))
            )
        if status == Ticket.Status.CLOSED and closed is not None and closed >= start:
            row.weeks[week_of(closed)].solution.append(
                (hours(closed - created), hours(solution_due - created))
            )
    return list(rows.values())


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
