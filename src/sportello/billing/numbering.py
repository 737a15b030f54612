"""Gapless fiscal numbers per series and year (BIL-12)."""

from django.db import IntegrityError, transaction

from .models import Sequence

INVOICE_SERIES = "FT"
CREDIT_NOTE_SERIES = "NC"


def next_number(series: str, year: int) -> int:
    """Take the next number of a series. Call inside the transaction that uses it: the row
    stays locked until commit, and a rollback gives the number back, so no gap appears."""
    assert transaction.get_connection().in_atomic_block, "numbers are taken inside a transaction"
    if not Sequence.objects.filter(series=series, year=year).exists():
        try:
            with transaction.atomic():
                Sequence.objects.create(series=series, year=year)
        except IntegrityError:
            pass  # another process created it first
    sequence = Sequence.objects.select_for_update().get(series=series, year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return sequence.last
