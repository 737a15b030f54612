"""Prices from the seed's rate card (EXT-2 to EXT-5), exact to the cent, net of VAT."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from sportello.extra.models import Band, ExtraSettings, Rate
from sportello.extra.pricing import Kind, band_for, price, price_between, rate_card

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
TUESDAY_10 = datetime(2026, 3, 10, 10, 0, tzinfo=ROME)
TUESDAY_23 = datetime(2026, 3, 10, 23, 0, tzinfo=ROME)
ORDINARY = Kind()
URGENT = Kind(urgent=True)
PLANNED = Kind(planned=True)
SIMPLE = Kind(simple=True)


def euro(value: str) -> Decimal:
    return Decimal(value)


@pytest.mark.parametrize(
    ("level", "kind", "start", "minutes", "total"),
    [
        ("junior", ORDINARY, TUESDAY_10, 45, "54.00"),
        ("senior", ORDINARY, TUESDAY_10, 20, "42.00"),
        ("senior", URGENT, TUESDAY_10, 70, "153.00"),
        ("junior", PLANNED, TUESDAY_23, 60, "150.00"),
        ("junior", PLANNED, TUESDAY_23, 190, "250.00"),
        ("senior", URGENT, TUESDAY_23, 50, "201.00"),
        ("junior", SIMPLE, TUESDAY_23, 10, "27.00"),
    ],
)
def test_the_issue_examples(level, kind, start, minutes, total):
    assert price(level, kind, start, minutes).total == euro(total)


def test_more_from_the_seed_tables():
    # Exactly 30 minutes is one slice; 31 are two.
    assert price("junior", ORDINARY, TUESDAY_10, 30).total == euro("27.00")
    assert price("junior", ORDINARY, TUESDAY_10, 31).total == euro("54.00")
    # Senior planned work: €230 for the first 2 hours, €83 per started hour after.
    assert price("senior", PLANNED, TUESDAY_23, 120).total == euro("230.00")
    assert price("senior", PLANNED, TUESDAY_23, 121).total == euro("313.00")
    # Junior urgent night work: €75 fee + €39 per started half hour.
    assert price("junior", URGENT, TUESDAY_23, 5).total == euro("114.00")
    # Unplanned work at night is urgent work even if not asked as urgent.
    assert price("junior", ORDINARY, TUESDAY_23, 30).total == euro("114.00")
    # On-duty help costs the same for either level.
    assert price("senior", SIMPLE, TUESDAY_23, 40).total == euro("54.00")


def test_breakdown_shows_fee_slices_and_minimum():
    breakdown = price("senior", URGENT, TUESDAY_10, 70)
    assert breakdown.band == Band.ORDINARY
    assert (breakdown.slices, breakdown.slice_price, breakdown.urgent_fee) == (
        3, euro("42.00"), euro("27.00"),
    )  # fmt: skip
    assert not breakdown.minimum_applied
    planned = price("junior", PLANNED, TUESDAY_23, 60)
    assert planned.minimum_applied and planned.billed_minutes == 120
    assert planned.first_block_price == euro("150.00") and planned.slices == 0
    assert "150,00" in planned.summary()


@pytest.mark.parametrize(
    ("moment", "band"),
    [
        (datetime(2026, 3, 10, 9, 0), Band.ORDINARY),
        (datetime(2026, 3, 10, 17, 59), Band.ORDINARY),
        (datetime(2026, 3, 10, 18, 0), Band.URGENT),
        (datetime(2026, 3, 10, 8, 59), Band.URGENT),
        (datetime(2026, 3, 14, 11, 0), Band.URGENT),  # Saturday
        (datetime(2026, 12, 8, 10, 0), Band.URGENT),  # Immaculate Conception
        (datetime(2026, 4, 6, 10, 0), Band.URGENT),  # Easter Monday
        (datetime(2026, 8, 14, 10, 0), Band.ORDINARY),
        (datetime(2026, 8, 15, 10, 0), Band.URGENT),  # Ferragosto
    ],
)
def test_ordinary_hours_follow_the_calendar(moment, band):
    assert band_for(moment.replace(tzinfo=ROME), ORDINARY, ExtraSettings.current()) == band


def test_priced_in_the_band_where_it_starts():
    # 17:30 to 19:30 is ordinary work even though it ends at night.
    start = datetime(2026, 3, 10, 17, 30, tzinfo=ROME)
    breakdown = price_between("junior", ORDINARY, start, start + timedelta(hours=2))
    assert breakdown.band == Band.ORDINARY and breakdown.total == euro("108.00")


def test_planned_holiday_and_simple_help_on_holidays():
    holiday = datetime(2026, 12, 8, 10, 0, tzinfo=ROME)
    assert price("senior", PLANNED, holiday, 60).total == euro("230.00")
    assert price("junior", SIMPLE, holiday, 10).total == euro("27.00")


def test_rates_are_settings_not_constants():
    Rate.objects.filter(band=Band.ORDINARY, level="junior").update(slice_price=euro("30.00"))
    assert price("junior", ORDINARY, TUESDAY_10, 45).total == euro("60.00")


def test_bad_input_is_refused():
    with pytest.raises(ValidationError):
        price("expert", ORDINARY, TUESDAY_10, 30)
    with pytest.raises(ValidationError):
        price("junior", ORDINARY, TUESDAY_10, 0)
    with pytest.raises(ValidationError):
        price_between("junior", ORDINARY, TUESDAY_10, TUESDAY_10)
    with pytest.raises(ValidationError):
        Kind(planned=True, urgent=True)


starts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=ROME)
)
kinds = st.sampled_from([ORDINARY, URGENT, PLANNED, SIMPLE])
levels = st.sampled_from(["junior", "senior"])


@settings(max_examples=150, deadline=None)
@given(level=levels, kind=kinds, start=starts, minutes=st.integers(1, 600),
       more=st.integers(0, 300))  # fmt: skip
def test_longer_never_costs_less(level, kind, start, minutes, more):
    rates, options = rate_card(), ExtraSettings.current()
    shorter = price(level, kind, start, minutes, rates=rates, settings=options)
    longer = price(level, kind, start, minutes + more, rates=rates, settings=options)
    assert longer.total >= shorter.total


@settings(max_examples=150, deadline=None)
@given(level=levels, kind=kinds, start=starts, minutes=st.integers(1, 600))
def test_the_price_is_whole_slices(level, kind, start, minutes):
    breakdown = price(level, kind, start, minutes, rates=rate_card(),
                      settings=ExtraSettings.current())  # fmt: skip
    rest = breakdown.total - breakdown.urgent_fee - breakdown.first_block_price
    assert rest == breakdown.slices * breakdown.slice_price
    covered = breakdown.first_block_minutes + breakdown.slices * breakdown.slice_minutes
    assert covered >= minutes
    assert covered - minutes < breakdown.slice_minutes or breakdown.minimum_applied
