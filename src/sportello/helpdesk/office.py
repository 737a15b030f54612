"""Office hours: due times counted in working time (HD-9, HD-13)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from sportello.core.calendar import is_working_day


@dataclass(frozen=True)
class OfficeHours:
    opens_at: time = time(9)
    closes_at: time = time(17, 30)
    country: str = "IT"

    def add(self, start: datetime, hours: float) -> datetime:
        """`start` plus `hours` of office time, in the provider's time zone: time outside
        the hours, at weekends and on holidays does not count."""
        zone = timezone.get_current_timezone()
        moment = timezone.localtime(start, zone)
        left = timedelta(hours=hours)
        while True:
            day = moment.date()
            if is_working_day(day, self.country):
                opens = datetime.combine(day, self.opens_at, zone)
                closes = datetime.combine(day, self.closes_at, zone)
                moment = max(moment, opens)
                if moment < closes:
                    if moment + left <= closes:
                        return moment + left
                    left -= closes - moment
            moment = datetime.combine(day + timedelta(days=1), time(0), zone)

    def is_open(self, moment: datetime) -> bool:
        local = timezone.localtime(moment)
        return (
            is_working_day(local.date(), self.country)
            and self.opens_at <= local.time() < self.closes_at
        )


def due_after(start: datetime, hours: float, office: OfficeHours | None) -> datetime:
    """Office time for ordinary tickets; `None` means round the clock (global plan)."""
    if office is None:
        return start + timedelta(hours=hours)
    return office.add(start, hours)
