"""Bar and line charts as inline SVG, drawn on the server, with an HTML legend under them: no
script, no outside file, and the page's content policy (styles from the site only) holds,
since every colour and size is an SVG attribute, never a `style`. Numbers on the axis are in
the reader's language."""

from dataclasses import dataclass
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

from sportello.core.formatting import format_number

WIDTH, HEIGHT = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 72, 12, 24, 64
PALETTE = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#b7791f",
           "#718096", "#e53e3e", "#2c5282", "#9c4221", "#276749", "#553c9a"]  # fmt: skip


@dataclass
class Series:
    name: str
    values: list[Decimal]


def _nice_step(span: float, ticks: int = 5) -> Decimal:
    """A step of 1, 2 or 5 times a power of ten that divides `span` in about `ticks`."""
    if span <= 0:
        return Decimal(1)
    rough = Decimal(str(span / ticks))
    exponent = rough.adjusted()
    power = Decimal(10) ** exponent
    for factor in (1, 2, 5, 10):
        if rough <= factor * power:
            return Decimal(factor) * power
    return 10 * power


def _scale(low: Decimal, high: Decimal) -> tuple[list[Decimal], Decimal, Decimal]:
    low, high = min(low, Decimal(0)), max(high, Decimal(0))
    if low == high:
        high = Decimal(1)
    step = _nice_step(float(high - low))
    start = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    end = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    ticks = []
    tick = start
    while tick <= end:
        ticks.append(tick)
        tick += step
    return ticks, start, end


def _text(x: float, y: float, content: str, **attributes: str) -> str:
    extra = "".join(f' {key.replace("_", "-")}="{value}"' for key, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(content)}</text>'


def _frame(title: str, labels: list[str], ticks: list[Decimal], y_of, unit: str) -> list[str]:
    parts = [f"<title>{escape(title)}</title>"]
    for tick in ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#4a5568" if tick == 0 else "#e2e8f0"}" stroke-width="1"/>'
        )
        parts.append(_text(LEFT - 6, y + 4, format_number(tick.normalize()), text_anchor="end"))
    if unit:
        parts.append(_text(8, 13, unit, font_weight="bold"))
    plot = WIDTH - LEFT - RIGHT
    slot = plot / max(len(labels), 1)
    # Labels thinned out so they never overlap: about one every 48 units of width.
    every = max(1, round(len(labels) * 48 / plot + 0.49))
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = LEFT + slot * (index + 0.5)
        y = HEIGHT - BOTTOM + 14
        parts.append(_text(x, y, label, text_anchor="end",
                           transform=f"rotate(-35 {x:.1f} {y:.1f})"))  # fmt: skip
    return parts


def _legend(series: list[Series]) -> str:
    """The series' names under the chart, in HTML: they wrap onto as many lines as they need
    and keep the page's text size on a phone, where the drawing is scaled down."""
    items = "".join(
        f'<li><svg width="12" height="12" aria-hidden="true"><rect width="12" height="12" '
        f'rx="2" fill="{PALETTE[index % len(PALETTE)]}"/></svg>{escape(item.name)}</li>'
        for index, item in enumerate(series)
    )
    return f'<ul class="chart-legend">{items}</ul>'


def _svg(title: str, parts: list[str], series: list[Series]) -> SafeString:
    return mark_safe(  # noqa: S308 (every text went through escape())
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="12" font-family="sans-serif" '
        f'fill="#1a202c">{"".join(parts)}</svg>{_legend(series)}'
    )


def bar_chart(title: str, labels: list[str], series: list[Series], unit: str = "") -> SafeString:
    """Stacked bars, one per label: positive parts stack up, negative ones down."""
    highs = [sum((max(s.values[i], Decimal(0)) for s in series), Decimal(0))
             for i in range(len(labels))]  # fmt: skip
    lows = [sum((min(s.values[i], Decimal(0)) for s in series), Decimal(0))
            for i in range(len(labels))]  # fmt: skip
    ticks, bottom, top = _scale(min(lows, default=Decimal(0)), max(highs, default=Decimal(0)))
    plot_height = HEIGHT - TOP - BOTTOM

    def y_of(value: Decimal) -> float:
        return TOP + plot_height * float((top - value) / (top - bottom))

    parts = _frame(title, labels, ticks, y_of, unit)
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar = max(slot * 0.7, 1)
    for index in range(len(labels)):
        up = down = Decimal(0)
        x = LEFT + slot * index + (slot - bar) / 2
        for number, item in enumerate(series):
            value = item.values[index]
            if not value:
                continue
            if value > 0:
                y1, y2 = y_of(up + value), y_of(up)
                up += value
            else:
                y1, y2 = y_of(down), y_of(down + value)
                down += value
            parts.append(
                f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bar:.1f}" height="{max(y2 - y1, 0.5):.1f}"'
                f' fill="{PALETTE[number % len(PALETTE)]}"><title>{escape(labels[index])} · '
                f"{escape(item.name)}: {escape(format_number(value))}</title></rect>"
            )
    return _svg(title, parts, series)


def line_chart(title: str, labels: list[str], series: list[Series], unit: str = "") -> SafeString:
    """One line per series, a dot on each point."""
    values = [value for item in series for value in item.values]
    ticks, bottom, top = _scale(min(values, default=Decimal(0)), max(values, default=Decimal(0)))
    plot_height = HEIGHT - TOP - BOTTOM

    def y_of(value: Decimal) -> float:
        return TOP + plot_height * float((top - value) / (top - bottom))

    parts = _frame(title, labels, ticks, y_of, unit)
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for number, item in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = [(LEFT + slot * (i + 0.5), y_of(v)) for i, v in enumerate(item.values)]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                         f'stroke-width="2"/>')  # fmt: skip
        for (x, y), label, value in zip(points, labels, item.values, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>'
                f"{escape(label)} · {escape(item.name)}: {escape(format_number(value))}"
                "</title></circle>"
            )
    return _svg(title, parts, series)
