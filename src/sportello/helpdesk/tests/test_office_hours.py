from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from sportello.helpdesk.office import OfficeHours, due_after

# The office calendar (closing days, region) is a settings row.
pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
OFFICE = OfficeHours(time(9), time(17, 30))


def at(*args):
    return datetime(*args, tzinfo=ROME)


def test_friday_evening_ticket_is_due_monday_noon_thirty():
    # Half an hour on Friday, three and a half on Monday morning.
    assert OFFICE.add(at(2026, 11, 20, 17, 0), 4) == at(2026, 11, 23, 12, 30)


def test_christmas_and_saint_stephen_are_skipped():
    # Thursday 24 December 17:00 → 25 and 26 are holidays, 27 Sunday: Monday 28.
    assert OFFICE.add(at(2026, 12, 24, 17, 0), 4) == at(2026, 12, 28, 12, 30)


def test_easter_monday_is_skipped():
    # Easter 2027 is 28 March: a ticket on Friday 26 March at 17:00 is due Tuesday 30.
    assert OFFICE.add(at(2027, 3, 26, 17, 0), 4) == at(2027, 3, 30, 12, 30)


def test_night_ticket_starts_counting_at_opening():
    assert OFFICE.add(at(2026, 11, 24, 2, 0), 2) == at(2026, 11, 24, 11, 0)


def test_long_target_spans_several_days():
    # 24 working hours of 8.5 each: Monday 9:00 + 24 h = Wednesday 16:00.
    assert OFFICE.add(at(2026, 11, 23, 9, 0), 24) == at(2026, 11, 25, 16, 0)


def test_round_the_clock_counts_every_hour():
    assert due_after(at(2026, 11, 21, 23, 0), 1, None) == at(2026, 11, 22, 0, 0)


def test_open_only_in_office_hours():
    assert OFFICE.is_open(at(2026, 11, 23, 10, 0))
    assert not OFFICE.is_open(at(2026, 11, 23, 17, 30))
    assert not OFFICE.is_open(at(2026, 11, 21, 10, 0))  # Saturday


def test_the_providers_closing_days_and_region_stop_the_clock():
    from sportello.core.models import ClosingDay, OfficeCalendar

    # Monday 7 December 2026 is Saint Ambrose, a holiday in Milan only; 8th is national.
    friday = at(2026, 12, 4, 17, 0)
    assert OFFICE.add(friday, 4) == at(2026, 12, 7, 12, 30)
    OfficeCalendar.objects.update_or_create(pk=1, defaults={"country": "IT", "region": "MI"})
    assert OFFICE.add(friday, 4) == at(2026, 12, 9, 12, 30)
    # 24 December closed every year, and a one-off closure on Wednesday 9th.
    ClosingDay.objects.create(day=datetime(2020, 12, 24).date(), name="Vigilia", every_year=True)
    ClosingDay.objects.create(day=datetime(2026, 12, 9).date(), name="Inventario")
    assert OFFICE.add(friday, 4) == at(2026, 12, 10, 12, 30)
    assert OFFICE.add(at(2026, 12, 23, 17, 0), 4) == at(2026, 12, 28, 12, 30)
