from django import template

from sportello.core.formatting import format_money, format_number

register = template.Library()


@register.filter
def money(amount, currency="EUR"):
    """`{{ invoice.total|money }}` → "1.234,50 €" in Italian, "€1,234.50" in English."""
    return format_money(amount, currency)


@register.filter
def number(value):
    """`{{ line.vat_rate|number }}%` → "22%", "4,5%"."""
    return format_number(value)
