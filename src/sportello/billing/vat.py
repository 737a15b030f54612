"""Which VAT rate a client pays (BIL-11): by country and status, on a given day."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sportello.accounts.fiscal import EU_COUNTRIES
from sportello.accounts.models import Client

from .models import BillingSettings, Invoice, VatRate


@dataclass(frozen=True)
class VatTreatment:
    rate: Decimal
    note: str  # one of Invoice.VatNote


def vat_treatment(
    client: Client,
    day: date,
    billing: BillingSettings | None = None,
    rate_on: Callable[[str, date], Decimal] | None = None,
) -> VatTreatment:
    """`rate_on` looks a country's rate up (`VatRate.on`); many invoices issued together
    pass a memoised one."""
    billing = billing or BillingSettings.current()
    rate_on = rate_on or VatRate.on
    home = billing.home_country
    country = client.country or home
    if country == home:
        return VatTreatment(rate_on(home, day), Invoice.VatNote.NONE)
    if country not in EU_COUNTRIES:
        return VatTreatment(Decimal("0.00"), Invoice.VatNote.OUT_OF_SCOPE)
    if client.vat_number:
        # The number was checked with python-stdnum when the profile was saved.
        return VatTreatment(Decimal("0.00"), Invoice.VatNote.REVERSE_CHARGE)
    # EU consumer: electronically supplied services are taxed where the consumer lives
    # (OSS), unless the provider is still under the €10,000 threshold.
    if billing.oss_over_threshold:
        return VatTreatment(rate_on(country, day), Invoice.VatNote.NONE)
    return VatTreatment(rate_on(home, day), Invoice.VatNote.NONE)
