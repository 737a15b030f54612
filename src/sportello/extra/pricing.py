"""Pricing of extra-contract work from the rate card (EXT-2 to EXT-5).

An intervention is priced in the band where it starts: ordinary hours (Monday to Friday,
9:00–18:00, not a holiday), otherwise planned night/holiday work, urgent night/holiday work,
or simple help by the on-duty staff. All amounts are net of VAT."""

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sportello.core.calendar import is_working_day
from sportello.core.formatting import format_money
from sportello.core.money import ZERO, cents

from .models import Band, ExtraSettings, Level, Rate


@dataclass(frozen=True)
class Kind:
    """How the work was asked for: urgent, planned, or simple on-duty help."""

    urgent: bool = False
    planned: bool = False
    simple: bool = False

    def __post_init__(self) -> None:
        if self.planned and (self.urgent or self.simple):
            raise ValidationError(_("Planned work cannot also be urgent or simple help."))


@dataclass(frozen=True)
class Breakdown:
    level: str
    band: str
    start: str  # ISO, in the provider's time zone
    minutes: int
    billed_minutes: int
    urgent_fee: Decimal
    first_block_minutes: int
    first_block_price: Decimal
    slices: int
    slice_minutes: int
    slice_price: Decimal
    minimum_applied: bool
    total: Decimal

    @property
    def slices_amount(self) -> Decimal:
        return cents(self.slices * self.slice_price)

    def as_dict(self) -> dict[str, Any]:
        """For JSON (the estimate command, stored breakdowns): amounts as strings."""
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, Decimal):
                data[key] = f"{value:.2f}"
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Breakdown":
        money = {"urgent_fee", "first_block_price", "slice_price", "total"}
        values: dict[str, Any] = {k: Decimal(v) if k in money else v for k, v in data.items()}
        return cls(**values)

    def band_label(self) -> str:
        return str(Band(self.band).label)

    def level_label(self) -> str:
        return str(Level(self.level).label)

    def parts(self) -> list[str]:
        """The breakdown as the client reads it, in the active language."""
        parts = []
        if self.first_block_minutes:
            parts.append(
                _("first %(duration)s: %(price)s")
                % {"duration": duration(self.first_block_minutes),
                   "price": money(self.first_block_price)}
            )  # fmt: skip
        if self.slices:
            parts.append(
                _("%(count)s × %(slice)s at %(price)s: %(amount)s")
                % {"count": self.slices, "slice": duration(self.slice_minutes),
                   "price": money(self.slice_price), "amount": money(self.slices_amount)}
            )  # fmt: skip
        if self.minimum_applied:
            parts.append(_("minimum %(duration)s") % {"duration": duration(self.billed_minutes)})
        if self.urgent_fee:
            parts.append(_("urgent fee: %(price)s") % {"price": money(self.urgent_fee)})
        return parts

    def summary(self) -> str:
        """One line: level, band, time worked and how the total was reached."""
        start = timezone.localtime(datetime.fromisoformat(self.start))
        return _("%(level)s, %(band)s (from %(start)s), %(duration)s — %(parts)s = %(total)s") % {
            "level": self.level_label(),
            "band": self.band_label().lower(),
            "start": date_format(start, "SHORT_DATETIME_FORMAT"),
            "duration": duration(self.minutes),
            "parts": "; ".join(self.parts()),
            "total": money(self.total),
        }


def money(amount: Decimal) -> str:
    return format_money(amount)


def duration(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)s h") % {"h": hours}
    return _("%(m)s min") % {"m": rest}


def in_ordinary_hours(moment: datetime, settings: ExtraSettings) -> bool:
    local = timezone.localtime(moment)
    return (
        is_working_day(local.date(), settings.holiday_country)
        and settings.ordinary_opens_at <= local.time() < settings.ordinary_closes_at
    )


def in_office_hours(moment: datetime, settings: ExtraSettings) -> bool:
    local = timezone.localtime(moment)
    return (
        is_working_day(local.date(), settings.holiday_country)
        and settings.office_opens_at <= local.time() < settings.office_closes_at
    )


def band_for(start: datetime, kind: Kind, settings: ExtraSettings) -> str:
    if in_ordinary_hours(start, settings):
        return Band.ORDINARY
    if kind.planned:
        return Band.PLANNED
    if kind.simple:
        return Band.ON_DUTY
    return Band.URGENT  # unplanned work at night or on a holiday is urgent by nature


# The rates by (band, level).
RateCard = dict[tuple[str, str], Rate]


def rate_card() -> RateCard:
    return {(rate.band, rate.level): rate for rate in Rate.objects.all()}


def price(level: str, kind: Kind, start: datetime, minutes: int, *, fee: bool = True,
          rates: RateCard | None = None,
          settings: ExtraSettings | None = None) -> Breakdown:  # fmt: skip
    """The price of `minutes` of work by a technician of `level` starting at `start`.
    `fee=False` leaves out the urgent fee (already charged on the same intervention)."""
    if level not in Level.values:
        raise ValidationError(_("Unknown level: %(level)s.") % {"level": level})
    if minutes <= 0:
        raise ValidationError(_("The duration must be at least one minute."))
    settings = settings or ExtraSettings.current()
    rates = rate_card() if rates is None else rates
    band = band_for(start, kind, settings)
    rate = rates.get((band, level))
    if rate is None:
        raise ValidationError(
            _("The rate card has no price for %(band)s, %(level)s.")
            % {"band": Band(band).label, "level": Level(level).label}
        )
    billed = max(minutes, rate.minimum_minutes, rate.first_block_minutes)
    slices = math.ceil(max(0, billed - rate.first_block_minutes) / rate.slice_minutes)
    billed = max(billed, rate.first_block_minutes + slices * rate.slice_minutes)
    first_block_price = rate.first_block_price if rate.first_block_minutes else ZERO
    urgent_fee = rate.urgent_fee if fee and (kind.urgent or band == Band.URGENT) else ZERO
    total = cents(first_block_price + slices * rate.slice_price + urgent_fee)
    return Breakdown(
        level=level,
        band=band,
        start=timezone.localtime(start).isoformat(),
        minutes=minutes,
        billed_minutes=billed,
        urgent_fee=cents(urgent_fee),
        first_block_minutes=rate.first_block_minutes,
        first_block_price=cents(first_block_price),
        slices=slices,
        slice_minutes=rate.slice_minutes,
        slice_price=cents(rate.slice_price),
        minimum_applied=minutes < max(rate.minimum_minutes, rate.first_block_minutes),
        total=total,
    )


def price_between(level: str, kind: Kind, start: datetime, end: datetime, *, fee: bool = True,
                  rates: RateCard | None = None,
                  settings: ExtraSettings | None = None) -> Breakdown:  # fmt: skip
    """The same from a start and an end: every started minute counts."""
    if end <= start:
        raise ValidationError(_("The end must come after the start."))
    minutes = math.ceil((end - start) / timedelta(minutes=1))
    return price(level, kind, start, minutes, fee=fee, rates=rates, settings=settings)
