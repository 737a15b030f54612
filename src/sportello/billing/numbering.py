"""Gapless fiscal numbers per series and year (BIL-12)."""

from django.db import IntegrityError, transaction

from .models import Sequence

INVOICE_SERIES = "FT"
CREDIT_NOTE_SERIES = "NC"


def next_number(series: str, year: int) -> int:
    return take_numbers(series, year, 1)


def take_numbers(series: str, year: int, count: int) -> int:
    """Take the next `count` numbers of a series; returns the first. Call inside the
    transaction that uses them: the row stays locked until commit, and a rollback gives
    them all back, so no gap appears."""
    assert transaction.get_connection().in_atomic_block, "numbers are taken inside a transaction"
    if not Sequence.objects.filter(series=series, year=year).exists():
        try:
            with transaction.atomic():
                Sequence.objects.create(series=series, year=year)
        except IntegrityError:
            pass  # another process created it first
    sequence = Sequence.objects.select_for_update().get(series=series, year=year)
    sequence.last += count
    sequence.save(update_fields=["last"])
    return sequence.last - count + 1
