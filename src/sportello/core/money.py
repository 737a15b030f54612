"""Money is Decimal, rounded half-up to the cent (Italian invoicing practice)."""

from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, rate: Decimal) -> Decimal:
    """`rate` percent of `amount`, rounded once at the end."""
    return cents(Decimal(amount) * Decimal(rate) / Decimal(100))


class MoneyDigits(TypedDict):
    """The size of a money column: `models.DecimalField(..., **MONEY)`."""

    max_digits: int
    decimal_places: int
