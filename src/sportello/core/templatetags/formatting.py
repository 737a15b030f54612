from django import template
from django.utils import timezone

from sportello.core.formatting import compact_date, format_money, format_number, format_rate

register = template.Library()


@register.filter
def money(amount, currency="EUR"):
    """`{{ invoice.total|money }}` → "1.234,50 €" in Italian, "€1,234.50" in English."""
    return format_money(amount, currency)


@register.filter(name="compact_date")
def compact_date_filter(value):
    """`{{ ticket.last_activity_at|compact_date }}` → "7 dic, 10:15", for narrow columns."""
    return compact_date(value, timezone.now())


@register.filter
def number(value):
    """`{{ line.vat_rate|number }}%` → "22%", "4,5%"."""
    return format_number(value)


@register.filter
def percent(value):
    """`{{ line.vat_rate|percent }}` → "22%" (it, en), "22 %" (es), "5,5%"."""
    return format_rate(value)


@register.filter
def oneline(text):
    """A multi-line address on one line, its lines joined by commas (a document's footer)."""
    return ", ".join(line.strip() for line in str(text or "").splitlines() if line.strip())
