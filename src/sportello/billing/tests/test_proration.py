"""The difference of a plan change for the rest of a period: exact, rounded once."""

from datetime import date
from decimal import Decimal as D
from fractions import Fraction

import pytest

from sportello.billing.proration import prorate


def exact(old, new, start, end, day):
    days = (end - start).days
    left = min(max((end - day).days, 0), days)
    return Fraction(D(new) - D(old)) * left / days


@pytest.mark.parametrize(
    ("old", "new", "start", "end", "day", "amount"),
    [
        # 183 of 365 days left: 50 × 183 / 365 = 25.0684…
        ("49.00", "99.00", date(2026, 1, 1), date(2027, 1, 1), date(2026, 7, 2), "25.07"),
        # A leap period: 366 days, 1 left.
        ("49.00", "99.00", date(2027, 3, 1), date(2028, 3, 1), date(2028, 2, 29), "0.14"),
        # A downgrade is negative: −50 × 183 / 365.
        ("99.00", "49.00", date(2026, 1, 1), date(2027, 1, 1), date(2026, 7, 2), "-25.07"),
        # Half a cent rounds up (away from zero): 1.00 × 1 / 200 = 0.005.
        ("10.00", "11.00", date(2026, 1, 1), date(2026, 7, 20), date(2026, 7, 19), "0.01"),
        # Before the period: all of it; on its last day +1 (the next period): nothing.
        ("49.00", "99.00", date(2026, 1, 1), date(2027, 1, 1), date(2025, 12, 1), "50.00"),
        ("49.00", "99.00", date(2026, 1, 1), date(2027, 1, 1), date(2027, 1, 1), "0.00"),
        # The day of the change counts: the whole period on its first day.
        ("49.00", "99.00", date(2026, 1, 1), date(2027, 1, 1), date(2026, 1, 1), "50.00"),
        # Monthly: 30 days, 11 left.
        ("9.90", "14.90", date(2026, 4, 1), date(2026, 5, 1), date(2026, 4, 20), "1.83"),
    ],
)
def test_the_difference_for_the_days_left(old, new, start, end, day, amount):
    proration = prorate(D(old), D(new), start, end, day)
    assert proration.amount == D(amount)
    assert abs(Fraction(proration.amount) - exact(old, new, start, end, day)) <= Fraction(1, 200)
    assert proration.credit == (-D(amount) if D(amount) < 0 else D("0.00"))


def test_a_period_must_end_after_it_starts():
    with pytest.raises(ValueError):
        prorate(D("1"), D("2"), date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 1))
