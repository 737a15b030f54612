"""Daily exchange rates from a CSV file: `date,currency,rate` (units of currency per euro)."""

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import ExchangeRate


def parse_rates(text: str) -> list[tuple[date, str, Decimal]]:
    reader = csv.reader(io.StringIO(text))
    header = [cell.strip().lower() for cell in next(reader, [])]
    if header != ["date", "currency", "rate"]:
        raise ValidationError(_("line 1: the header must be date,currency,rate"))
    rows = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 3:
            raise ValidationError(_("line %(n)s: expected 3 columns") % {"n": number})
        day_text, currency, rate = (cell.strip() for cell in row)
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise ValidationError(
                _("line %(n)s: '%(value)s' is not a date (YYYY-MM-DD)")
                % {"n": number, "value": day_text}
            ) from None
        if not (len(currency) == 3 and currency.isalpha()):
            raise ValidationError(
                _("line %(n)s: '%(value)s' is not a currency code")
                % {"n": number, "value": currency}
            )
        try:
            value = Decimal(rate)
        except InvalidOperation:
            value = Decimal(0)
        if not value.is_finite() or value <= 0:
            raise ValidationError(
                _("line %(n)s: '%(value)s' is not a positive rate") % {"n": number, "value": rate}
            )
        rows.append((day, currency.upper(), value))
    return rows


def import_rates(text: str) -> int:
    """All rows or none: the whole file is checked before anything is written; a rate
    already known for a day is replaced by the file's."""
    rows = parse_rates(text)
    with transaction.atomic():
        for day, currency, rate in rows:
            ExchangeRate.objects.update_or_create(
                day=day, currency=currency, defaults={"rate": rate}
            )
    return len(rows)
