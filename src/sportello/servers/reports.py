"""What the monitoring pages show: uptime over 30 days and a small response-time chart,
drawn server-side as inline SVG (no script)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from .models import Monitor

UPTIME_DAYS = 30
CHART_HOURS = 24
BUCKETS = 96  # a quarter of an hour each
WIDTH, HEIGHT, PAD_TOP, PAD_BOTTOM = 600, 130, 16, 20


def uptime(monitor: Monitor, today: date) -> float | None:
    """Share of good checks over the last 30 days, in percent; None before any check."""
    totals = monitor.days.filter(day__gt=today - timedelta(days=UPTIME_DAYS)).aggregate(
        checks=Sum("checks"), failures=Sum("failures")
    )
    if not totals["checks"]:
        return None
    return 100 * (totals["checks"] - totals["failures"]) / totals["checks"]


@dataclass
class Bucket:
    average_ms: float | None
    failed: bool


def buckets(monitor: Monitor, now: datetime) -> list[Bucket]:
    start = now - timedelta(hours=CHART_HOURS)
    size = timedelta(hours=CHART_HOURS) / BUCKETS
    sums = [[0, 0, False] for _ in range(BUCKETS)]
    rows = monitor.results.filter(at__gt=start, at__lte=now).values_list("at", "ok", "response_ms")
    for at, ok, ms in rows:
        slot = sums[min(BUCKETS - 1, int((at - start) / size))]
        if ok and ms is not None:
            slot[0] += ms
            slot[1] += 1
        if not ok:
            slot[2] = True
    return [Bucket(total / count if count else None, bool(failed)) for total, count, failed in sums]


def chart(monitor: Monitor, now: datetime) -> SafeString:
    data = buckets(monitor, now)
    values = [b.average_ms for b in data if b.average_ms is not None]
    title = _("Response time over the last 24 hours")
    if not values and not any(b.failed for b in data):
        return format_html('<p class="muted">{}</p>', _("No checks in the last 24 hours yet."))
    top = max(values, default=1) * 1.15 or 1
    step = WIDTH / BUCKETS
    plot = HEIGHT - PAD_TOP - PAD_BOTTOM

    def y(ms: float) -> float:
        return PAD_TOP + plot - ms / top * plot

    # One polyline per run of buckets with data, so gaps stay gaps.
    lines: list[list[str]] = []
    current: list[str] = []
    for index, bucket in enumerate(data):
        if bucket.average_ms is None:
            if current:
                lines.append(current)
            current = []
            continue
        current.append(f"{index * step + step / 2:.1f},{y(bucket.average_ms):.1f}")
    if current:
        lines.append(current)
    polylines = format_html_join(
        "",
        '<polyline points="{}" fill="none" stroke="#0b63b6" stroke-width="1.6"/>',
        ((" ".join(points),) for points in lines if len(points) > 1),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="1.8" fill="#0b63b6"/>',
        (
            (points[0].split(",")[0], points[0].split(",")[1])
            for points in lines
            if len(points) == 1
        ),
    )
    failures = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="6" fill="#b3261e"/>',
        (
            (f"{i * step:.1f}", HEIGHT - PAD_BOTTOM + 2, f"{max(step - 0.5, 1):.1f}")
            for i, b in enumerate(data)
            if b.failed
        ),
    )
    start_label = formats.date_format(timezone.localtime(now - timedelta(hours=CHART_HOURS)), "H:i")
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}" '
        'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        '<line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="#dde3ea"/>'
        '<line x1="0" y1="{pad}" x2="{w}" y2="{pad}" stroke="#eef1f5" stroke-dasharray="4 4"/>'
        '<text x="2" y="11" class="chart-label">{top_label}</text>'
        '<text x="2" y="{h}" class="chart-label">{start}</text>'
        '<text x="{w}" y="{h}" text-anchor="end" class="chart-label">{now_label}</text>'
        "{polylines}{dots}{failures}</svg>",
        w=WIDTH,
        h=HEIGHT - 2,
        title=title,
        base=HEIGHT - PAD_BOTTOM,
        pad=PAD_TOP,
        top_label=f"{top:.0f} ms",
        start=start_label,
        now_label=_("now"),
        polylines=polylines,
        dots=dots,
        failures=failures,
    )


def monitor_panel(monitor: Monitor, now: datetime) -> dict:
    return {
        "monitor": monitor,
        "uptime": uptime(monitor, timezone.localdate(now)),
        "chart": chart(monitor, now),
        "events": list(monitor.events.all()[:10]),
        "recent": list(monitor.results.all()[:10]),
    }
