"""Working days: Monday to Friday, less national and regional holidays and the provider's
own closing days (the office calendar, HD-9, edited in the admin)."""

import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays

# The office calendar is read at most this often per process, so the SLA clocks that ask
# about hundreds of days cost no query each; a change applies within this many seconds
# everywhere (at once in the process that saved it).
REFRESH_SECONDS = 60


@dataclass(frozen=True)
class _Calendar:
    country: str
    region: str
    closed_on: frozenset[date]
    closed_every_year: frozenset[tuple[int, int]]


@lru_cache(maxsize=2)
def _calendar(_period: int) -> _Calendar:
    from .models import ClosingDay, OfficeCalendar

    office = OfficeCalendar.current()
    days = list(ClosingDay.objects.values_list("day", "every_year"))
    return _Calendar(
        country=office.country or "IT",
        region=office.region,
        closed_on=frozenset(day for day, yearly in days if not yearly),
        closed_every_year=frozenset((day.month, day.day) for day, yearly in days if yearly),
    )


def office_calendar() -> _Calendar:
    return _calendar(int(time.monotonic() // REFRESH_SECONDS))


def forget_office_calendar(**_kwargs) -> None:
    _calendar.cache_clear()


@lru_cache(maxsize=32)
def _holidays(country: str, region: str, year: int):
    return holidays.country_holidays(country, subdiv=region or None, years=year)


def is_working_day(day: date, country: str | None = None) -> bool:
    """`country`: another country's national holidays than the office's (no region then)."""
    if day.weekday() >= 5:
        return False
    office = office_calendar()
    if day in office.closed_on or (day.month, day.day) in office.closed_every_year:
        return False
    if country is None or country == office.country:
        return day not in _holidays(office.country, office.region, day.year)
    return day not in _holidays(country, "", day.year)


def next_working_day(day: date, country: str | None = None) -> date:
    """The first working day strictly after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day


def same_or_next_working_day(day: date, country: str | None = None) -> date:
    return day if is_working_day(day, country) else next_working_day(day, country)
