"""Working days: Monday to Friday, national holidays excluded (Italy by default)."""

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=8)
def _holidays(country: str, year: int):
    return holidays.country_holidays(country, years=year)


def is_working_day(day: date, country: str = "IT") -> bool:
    return day.weekday() < 5 and day not in _holidays(country, day.year)


def next_working_day(day: date, country: str = "IT") -> date:
    """The first working day strictly after `day`."""
    day += timedelta(days=1)
    while not is_working_day(day, country):
        day += timedelta(days=1)
    return day


def same_or_next_working_day(day: date, country: str = "IT") -> date:
    return day if is_working_day(day, country) else next_working_day(day, country)
