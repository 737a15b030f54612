"""A change of price in the middle of a paid period: the difference for the days left,
exact (Decimal throughout, one rounding to the cent at the end), charged on an invoice or
given back with a credit note on the invoice that billed the period."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest

from sportello.accounts.models import Client
from sportello.core.money import ZERO, cents

from . import actions
from .models import CreditEntry, Invoice, InvoiceLine
from .vat import vat_treatment


@dataclass(frozen=True)
class Proration:
    period_start: date
    period_end: date
    day: date
    old_price: Decimal
    new_price: Decimal

    @property
    def days_in_period(self) -> int:
        return (self.period_end - self.period_start).days

    @property
    def days_remaining(self) -> int:
        """From the day of the change (included) to the end of the period (excluded, the
        day the next period starts)."""
        return min(max((self.period_end - self.day).days, 0), self.days_in_period)

    @property
    def amount(self) -> Decimal:
        """Net, signed: above zero to invoice, below zero to credit.
        (new − old) × days remaining ÷ days in the period, rounded half up once."""
        if self.days_in_period <= 0:
            return ZERO
        difference = Decimal(self.new_price) - Decimal(self.old_price)
        return cents(difference * self.days_remaining / self.days_in_period)

    @property
    def credit(self) -> Decimal:
        """What a lower price gives back (zero for a higher one)."""
        return max(-self.amount, ZERO)


def prorate(old_price: Decimal, new_price: Decimal, period_start: date, period_end: date,
            day: date) -> Proration:  # fmt: skip
    if period_end <= period_start:
        raise ValueError("a period ends after it starts")
    return Proration(period_start, period_end, day, Decimal(old_price), Decimal(new_price))


def period_invoice(service_id: int, period_end: date) -> Invoice | None:
    """The numbered invoice that billed the service's period ending on `period_end`."""
    line = (
        InvoiceLine.objects.filter(
            service_id=service_id,
            period_end=period_end,
            invoice__kind=Invoice.Kind.INVOICE,
            invoice__number__isnull=False,
            invoice__status__in=[Invoice.Status.PAID, Invoice.Status.OPEN],
        )  # fmt: skip
        .select_related("invoice")
        .order_by("-invoice__issued_on", "-id")
        .first()
    )
    return line.invoice if line else None


@transaction.atomic
def credit_rest_of_period(
    client: Client,
    service_id: int,
    proration: Proration,
    reason: str,
    now: datetime,
    request: HttpRequest | None = None,
) -> Invoice | None:
    """Give back what a lower price leaves unused of the period: a credit note of that net
    (with the VAT it was invoiced at) on the invoice that billed the period, which becomes
    the client's credit where the invoice was paid. Without such an invoice (the period was
    not invoiced here), the gross goes straight to the credit balance."""
    net = -proration.amount
    if net <= 0:
        return None
    original = period_invoice(service_id, proration.period_end)
    if original is None:
        rate = vat_treatment(client, proration.day).rate
    else:
        rate = original.lines.values_list("vat_rate", flat=True).first() or ZERO
    # The credit note takes a gross amount and finds its net at the invoice's rate: from a
    # gross rounded to the cent, that net is exactly `net` again (the rounding error is
    # under half a cent before the division by 1 + rate).
    gross = cents(net * (100 + rate) / 100)
    if original is not None:
        try:
            with transaction.atomic():  # a refusal leaves no half-made note behind
                return actions.issue_credit_note(original, now, reason=reason, amount=gross,
                                                 request=request)  # fmt: skip
        except ValidationError:
            pass  # credited already as far as it goes: the rest goes to the balance
    actions.credit_balance(client, lock=True)
    CreditEntry.objects.create(client=client, kind=CreditEntry.Kind.ADJUSTMENT, amount=gross)
    return None
