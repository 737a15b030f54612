"""Billing operations. Each is one transaction; each writes its audit row and its emails."""

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Model, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from sportello.accounts.models import Client, User
from sportello.core import audit
from sportello.core.calendar import next_working_day, same_or_next_working_day
from sportello.core.formatting import format_money
from sportello.core.models import AuditEvent
from sportello.core.money import ZERO, cents, percent_of
from sportello.mail.actions import ClientMail, queue_to_client, queue_to_clients

from . import numbering
from .models import (
    LARGEST_AMOUNT,
    BillingSettings,
    Charge,
    Coupon,
    CouponUse,
    CreditEntry,
    ExchangeRate,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentReport,
    Quote,
    QuoteLine,
    VatRate,
)
from .pricing import line_net, totals
from .references import rf_reference
from .signals import invoice_paid, invoices_numbered
from .vat import vat_treatment

Action = AuditEvent.Action


@dataclass
class Line:
    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal(1)
    # A `services.Service`, from an app above this one: the line refers to it by its id.
    service: Model | None = None
    period_start: date | None = None
    period_end: date | None = None
    vat_rate: Decimal | None = None  # None: the client's rate on the day


# Lines that apps above billing add to each invoice as it is drafted (the stamp duty an
# Italian provider recharges), registered at start-up (`AppConfig.ready`):
# `fn(invoice, lines) -> [Line]`, given the invoice (client and VAT note set; not saved yet
# when drafted in a batch) and its lines so far.
DraftLines = Callable[[Invoice, list[InvoiceLine]], list[Line]]
_draft_lines: list[DraftLines] = []


def register_draft_lines(fn: DraftLines) -> None:
    if fn not in _draft_lines:
        _draft_lines.append(fn)


def _registered_lines(invoice: Invoice, lines: list[InvoiceLine]) -> list[Line]:
    return [line for fn in _draft_lines for line in fn(invoice, lines)]


def plain_percent(value: Decimal) -> str:
    """30.00 → "30", 12.50 → "12.5" (never the exponent form of Decimal.normalize)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def local_day(now: datetime) -> date:
    return timezone.localdate(now)


# --- Invoices ---------------------------------------------------------------------------


@transaction.atomic
def draft_invoice(client: Client, lines: list[Line], now: datetime, *,
                  purpose: str = Invoice.Purpose.STANDARD, coupon: str = "",
                  include_pending_charges: bool = False) -> Invoice:  # fmt: skip
    treatment = vat_treatment(client, local_day(now))
    invoice = Invoice.objects.create(
        client=client, purpose=purpose, vat_note=treatment.note, language=client.language
    )
    position = 0
    for line in lines:
        position += 1
        _add_line(invoice, line, treatment.rate, position)
    if include_pending_charges:
        for charge in client.charges.filter(invoice_line__isnull=True).select_for_update():
            position += 1
            charge.invoice_line = _add_line(
                invoice, Line(charge.description, charge.amount), treatment.rate, position
            )
            charge.save(update_fields=["invoice_line"])
    if coupon:
        _apply_coupon(invoice, coupon, local_day(now), treatment.rate, position + 1)
    if not invoice.lines.exists():
        raise ValidationError(_("An invoice needs at least one line."))
    if _draft_lines:
        drafted = list(invoice.lines.all())
        for position, line in enumerate(_registered_lines(invoice, drafted), len(drafted) + 1):
            _add_line(invoice, line, treatment.rate, position)
    return invoice


def _add_line(invoice: Invoice, line: Line, default_rate: Decimal, position: int) -> InvoiceLine:
    new = _new_line(invoice, line, default_rate, position)
    new.save()
    return new


def _new_line(invoice: Invoice, line: Line, default_rate: Decimal, position: int) -> InvoiceLine:
    if Decimal(line.quantity) <= 0:
        raise ValidationError(_("Quantities must be greater than zero."))
    return InvoiceLine(
        invoice=invoice,
        description=line.description,
        service_id=line.service.pk if line.service is not None else None,
        period_start=line.period_start,
        period_end=line.period_end,
        quantity=line.quantity,
        unit_price=line.unit_price,
        vat_rate=default_rate if line.vat_rate is None else line.vat_rate,
        net=line_net(line.quantity, line.unit_price),
        position=position,
    )


# --- Coupons (BIL-14) ----------------------------------------------------------------------


def coupon_by_code(code: str) -> Coupon | None:
    if "\x00" in code:  # in no code, and PostgreSQL refuses it in a query
        return None
    return Coupon.objects.filter(code__iexact=code.strip()).first()


def valid_coupon(code: str, client: Client, today: date, *, renewal: bool = False) -> Coupon:
    """The coupon a client or a clerk typed, if it may be used today by this client."""
    coupon = coupon_by_code(code)
    if coupon is None or not coupon.is_valid_on(today):
        raise ValidationError(_("This coupon is not valid."))
    if coupon.used_up:
        raise ValidationError(_("This coupon has been used up."))
    if renewal and not coupon.renewals:
        raise ValidationError(_("This coupon does not apply to renewals."))
    if coupon.once_per_client and coupon.used.filter(client=client).exists():
        raise ValidationError(_("You have already used this coupon."))
    return coupon


def coupon_discount(coupon: Coupon, lines: list[tuple[int | None, Decimal]]) -> Decimal:
    """The net discount on (product id, net) lines: a percentage of the lines it applies
    to, or its fixed amount, never more than those lines are worth."""
    products = set(coupon.products.values_list("pk", flat=True))
    base = sum(
        (net for product, net in lines if net > 0 and (not products or product in products)),
        ZERO,
    )
    if base <= 0:
        raise ValidationError(_("This coupon does not apply to anything on this invoice."))
    value = percent_of(base, coupon.value) if coupon.kind == Coupon.Kind.PERCENT else coupon.value
    return min(value, base)


def take_coupon(coupon: Coupon) -> None:
    """Count one use. A conditional update, so the last use cannot be taken twice."""
    uses_left = Q(max_uses__isnull=True) | Q(uses__lt=F("max_uses"))
    if not Coupon.objects.filter(uses_left, pk=coupon.pk).update(uses=F("uses") + 1):
        raise ValidationError(_("This coupon has been used up."))


def discount_line(coupon: Coupon, discount: Decimal, rate: Decimal | None = None) -> Line:
    return Line(_("Discount %(code)s") % {"code": coupon.code}, -discount, vat_rate=rate)


def _invoice_lines_by_product(invoice: Invoice) -> list[tuple[int | None, Decimal]]:
    return [
        (line.service.product_id if line.service else None, line.net)
        for line in invoice.lines.select_related("service")
    ]


def _apply_coupon(invoice: Invoice, code: str, today: date, rate: Decimal, position: int) -> None:
    coupon = valid_coupon(
        code, invoice.client, today, renewal=invoice.purpose == Invoice.Purpose.RENEWAL
    )
    discount = coupon_discount(coupon, _invoice_lines_by_product(invoice))
    take_coupon(coupon)
    _add_line(invoice, discount_line(coupon, discount, rate), rate, position)
    CouponUse.objects.create(
        coupon=coupon, client=invoice.client, invoice=invoice, discount=discount
    )


@transaction.atomic
def apply_coupon(invoice: Invoice, code: str, now: datetime, *,
                 request: HttpRequest | None = None) -> Decimal:  # fmt: skip
    """A coupon the client enters on an invoice still to pay. A payment notice takes a
    discount line; a fiscal invoice, which cannot change once numbered, a credit note.
    Returns the gross amount taken off what is due."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if (
        invoice.kind != Invoice.Kind.INVOICE
        or invoice.status != Invoice.Status.OPEN
        or invoice.purpose in (Invoice.Purpose.FUNDS, Invoice.Purpose.CORRECTION)
        or invoice.amount_due <= 0
    ):
        raise ValidationError(_("A coupon can only be used on an invoice still to pay."))
    if invoice.coupon_uses.exists():
        raise ValidationError(_("This invoice already has a coupon."))
    today = local_day(now)
    coupon = valid_coupon(
        code, invoice.client, today, renewal=invoice.purpose == Invoice.Purpose.RENEWAL
    )
    lines = list(invoice.lines.select_related("service"))
    rate = lines[0].vat_rate
    discount = _within_due(coupon_discount(coupon, _invoice_lines_by_product(invoice)), rate,
                           invoice.amount_due)  # fmt: skip
    gross = discount + percent_of(discount, rate)
    take_coupon(coupon)
    CouponUse.objects.create(
        coupon=coupon, client=invoice.client, invoice=invoice, discount=discount
    )
    if invoice.number is not None:
        reason = _("Discount %(code)s") % {"code": coupon.code}
        issue_credit_note(invoice, now, reason=reason, amount=gross, request=request)
    else:
        _add_line(invoice, discount_line(coupon, discount, rate), rate, len(lines) + 1)
        invoice.net_total, invoice.vat_total, invoice.total = totals(list(invoice.lines.all()))
        invoice.save(update_fields=["net_total", "vat_total", "total"])
    audit.record(
        Action.COUPON_APPLIED, request=request, client=invoice.client,
        detail=f"{coupon.code} → {invoice.display_number}: −{number_format(gross, 2)} EUR",
    )  # fmt: skip
    return gross


def _within_due(net: Decimal, rate: Decimal, due: Decimal) -> Decimal:
    """The net discount, lowered where with its VAT it would exceed what is still due
    (an invoice already paid in part): a coupon never turns into credit."""
    if net + percent_of(net, rate) <= due:
        return net
    net = cents(due * 100 / (100 + rate))
    while net + percent_of(net, rate) > due:
        net -= Decimal("0.01")
    return net


def record_coupon_uses(uses: list[tuple[Coupon, Invoice, Decimal]]) -> None:
    CouponUse.objects.bulk_create(
        [
            CouponUse(coupon=coupon, client=invoice.client, invoice=invoice, discount=discount)
            for coupon, invoice, discount in uses
        ]
    )


def announced_coupons(client: Client, today: date, *, products: set[int] | None = None,
                      renewal: bool = False) -> list[Coupon]:  # fmt: skip
    """The promotions a client is told about (seed 004 §6): announced, valid today, not
    used up, not already used by this client where once is the limit; with `products`,
    only those that apply to one of them (and, for a renewal, to renewals)."""
    coupons = (
        Coupon.objects.filter(announced=True, valid_from__lte=today)
        .exclude(valid_to__lt=today)
        .exclude(description="")
        .prefetch_related("products")
        .order_by("valid_to", "code")
    )
    if renewal:
        coupons = coupons.filter(renewals=True)
    if not coupons:  # most days: one query, and no other
        return []
    used = set(client.coupon_uses.values_list("coupon_id", flat=True))
    return [
        coupon
        for coupon in coupons
        if not coupon.used_up
        and not (coupon.once_per_client and coupon.pk in used)
        and (products is None or _covers(coupon, products))
    ]


def _covers(coupon: Coupon, products: set[int]) -> bool:
    covered = {product.pk for product in coupon.products.all()}
    return not covered or bool(covered & products)


def coupons_for_invoice(invoice: Invoice, today: date) -> list[Coupon]:
    products = {
        product for product in invoice.lines.values_list("service__product_id", flat=True)
        if product is not None
    }  # fmt: skip
    return announced_coupons(
        invoice.client, today, products=products,
        renewal=invoice.purpose == Invoice.Purpose.RENEWAL,
    )  # fmt: skip


@transaction.atomic
def issue_invoice(invoice: Invoice, now: datetime, *, request: HttpRequest | None = None,
                  send: bool = True) -> Invoice:  # fmt: skip
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.DRAFT:
        raise ValidationError(_("Only a draft can be issued."))
    billing = BillingSettings.current()
    today = local_day(now)
    _mark_issued(invoice, list(invoice.lines.all()), billing, today)
    invoice.payment_reference = rf_reference(invoice.pk)
    if _numbered_at_issue(invoice, billing):
        _give_numbers([invoice], today)
    invoice.save()
    invoices_numbered.send(sender=Invoice, invoices=[invoice])
    audit.record(
        Action.INVOICE_ISSUED, request=request, client=invoice.client, detail=_issued(invoice)
    )
    _settle_at_issue([invoice], billing, today)
    if send:
        send_invoice(invoice)
    return invoice


def create_invoice(client: Client, lines: list[Line], now: datetime, *,
                   purpose: str = Invoice.Purpose.STANDARD, coupon: str = "",
                   include_pending_charges: bool = False, request: HttpRequest | None = None,
                   send: bool = True) -> Invoice:  # fmt: skip
    with transaction.atomic():
        draft = draft_invoice(client, lines, now, purpose=purpose, coupon=coupon,
                              include_pending_charges=include_pending_charges)  # fmt: skip
        return issue_invoice(draft, now, request=request, send=send)


def create_invoices(drafts: list[tuple[Client, list[Line]]], now: datetime, *,
                    purpose: str = Invoice.Purpose.STANDARD,
                    include_pending_charges: bool = False) -> list[Invoice]:  # fmt: skip
    """Issue one invoice per (client, lines), in one transaction, each exactly as
    `create_invoice` issues it: lines and pending charges, VAT, number, payment reference,
    audit row, credit, email. A daily job issues thousands: this takes a few queries for
    the whole batch instead of some twenty per invoice. Numbers are one block, given in
    the order of `drafts`."""
    billing = BillingSettings.current()
    today = local_day(now)
    rate_on = cache(VatRate.on)
    with transaction.atomic():
        clients = [client for client, _lines in drafts]
        pending = _pending_charges(clients) if include_pending_charges else {}
        invoices: list[Invoice] = []
        new_lines: list[InvoiceLine] = []
        charged: list[Charge] = []
        for client, lines in drafts:
            treatment = vat_treatment(client, today, billing, rate_on)
            invoice = Invoice(
                client=client, purpose=purpose, vat_note=treatment.note, language=client.language
            )
            invoice_lines = [
                _new_line(invoice, line, treatment.rate, position)
                for position, line in enumerate(lines, start=1)
            ]
            for charge in pending.get(client.pk, []):
                charge.invoice_line = _new_line(
                    invoice, Line(charge.description, charge.amount), treatment.rate,
                    len(invoice_lines) + 1,
                )  # fmt: skip
                invoice_lines.append(charge.invoice_line)
                charged.append(charge)
            if not invoice_lines:
                raise ValidationError(_("An invoice needs at least one line."))
            invoice_lines += [
                _new_line(invoice, line, treatment.rate, position)
                for position, line in enumerate(
                    _registered_lines(invoice, invoice_lines), len(invoice_lines) + 1
                )
            ]
            _mark_issued(invoice, invoice_lines, billing, today)
            invoices.append(invoice)
            new_lines += invoice_lines
        _give_numbers([inv for inv in invoices if _numbered_at_issue(inv, billing)], today)
        Invoice.objects.bulk_create(invoices)
        for invoice in invoices:
            invoice.payment_reference = rf_reference(invoice.pk)
        Invoice.objects.bulk_update(invoices, ["payment_reference"])
        InvoiceLine.objects.bulk_create(new_lines)
        invoices_numbered.send(sender=Invoice, invoices=invoices)
        Charge.objects.bulk_update(charged, ["invoice_line"])
        audit.record_each(Action.INVOICE_ISSUED, [(inv.client, _issued(inv)) for inv in invoices])
        _settle_at_issue(invoices, billing, today)
        queue_to_clients([_invoice_mail(invoice, billing) for invoice in invoices])
    return invoices


def _pending_charges(clients: list[Client]) -> dict[int, list[Charge]]:
    """Each client's extras not yet invoiced, locked, newest first."""
    pending: defaultdict[int, list[Charge]] = defaultdict(list)
    charges = Charge.objects.filter(client__in=clients, invoice_line__isnull=True)
    for charge in charges.select_for_update():
        pending[charge.client_id].append(charge)
    return pending


def _mark_issued(invoice: Invoice, lines: list[InvoiceLine], billing: BillingSettings,
                 today: date) -> None:  # fmt: skip
    invoice.net_total, invoice.vat_total, invoice.total = totals(lines)
    if invoice.total < 0:
        raise ValidationError(_("An invoice cannot have a negative total."))
    _snapshot_client(invoice)
    invoice.issued_on = today
    invoice.due_on = today + timedelta(days=billing.payment_terms_days)
    # A period of service is paid before it starts (seed 002: by the due date printed on the
    # invoice, and in any case before the service runs on): the terms are cut to the start
    # of the earliest period, never before the day of issue.
    starts = [line.period_start for line in lines if line.period_start]
    if starts:
        invoice.due_on = max(today, min(invoice.due_on, min(starts)))
    invoice.status = Invoice.Status.OPEN


def _numbered_at_issue(invoice: Invoice, billing: BillingSettings) -> bool:
    numbered_now = (
        billing.numbering == BillingSettings.Numbering.AT_ISSUE
        or invoice.purpose == Invoice.Purpose.CORRECTION
    )
    # Funds are an advance, not a sale: they get a payment notice, never a fiscal number.
    return numbered_now and invoice.purpose != Invoice.Purpose.FUNDS


def _issued(invoice: Invoice) -> str:
    return f"{invoice.display_number} {invoice.total} {invoice.currency}"


def _settle_at_issue(invoices: list[Invoice], billing: BillingSettings, today: date) -> None:
    """A new invoice of nothing is paid at once; otherwise the client's credit is spent on
    it, when the provider applies credit automatically."""
    uses_credit = [
        invoice for invoice in invoices
        if invoice.total != 0 and billing.auto_apply_credit
        and invoice.purpose != Invoice.Purpose.FUNDS
    ]  # fmt: skip
    balances = credit_balances([invoice.client for invoice in uses_credit], lock=True)
    for invoice in invoices:
        if invoice.total == 0:
            _mark_paid(invoice, today)
            continue
        available = min(balances.get(invoice.client_id, ZERO), invoice.amount_due)
        if available > 0:
            _pay_with_credit(invoice, available, today)
            balances[invoice.client_id] -= available
            invoice.refresh_from_db()


def _snapshot_client(invoice: Invoice) -> None:
    client = invoice.client
    invoice.billing_name = client.display_name
    # "20121 Milano (MI)": the province in brackets, as an Italian address writes it.
    province = f"({client.province})" if client.province else ""
    town = " ".join(part for part in [client.postcode, client.city, province] if part)
    invoice.billing_address = "\n".join(part for part in [client.address, town] if part)
    invoice.billing_country = client.country
    invoice.billing_vat_number = client.vat_number
    invoice.billing_fiscal_code = client.fiscal_code
    invoice.language = client.language


def _give_number(invoice: Invoice, today: date) -> None:
    _give_numbers([invoice], today)


def _give_numbers(invoices: list[Invoice], today: date) -> None:
    """Consecutive numbers of each series, in the order of `invoices`, taken as one block."""
    by_series: defaultdict[str, list[Invoice]] = defaultdict(list)
    for invoice in invoices:
        credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
        series = numbering.CREDIT_NOTE_SERIES if credit_note else numbering.INVOICE_SERIES
        by_series[series].append(invoice)
    for series, numbered in by_series.items():
        first = numbering.take_numbers(series, today.year, len(numbered))
        for number, invoice in enumerate(numbered, start=first):
            invoice.series = series
            invoice.year = today.year
            invoice.number = number
            invoice.numbered_on = today


def send_invoice(invoice: Invoice) -> None:
    queue_to_clients([_invoice_mail(invoice, BillingSettings.current())])


def _invoice_mail(invoice: Invoice, billing: BillingSettings) -> ClientMail:
    return ClientMail(
        invoice.client,
        "invoice_issued",
        {"invoice": invoice, "billing": billing},
        attachments=[(pdf_filename(invoice), "application/pdf", invoice)],
    )


def pdf_filename(invoice: Invoice) -> str:
    return invoice.display_number.replace("/", "-").replace(" ", "-") + ".pdf"


# --- Payments and credit ----------------------------------------------------------------


def to_euro(amount: Decimal, currency: str, day: date) -> tuple[Decimal, Decimal]:
    """Amount in euro and the rate used: the day's rate, or the last one published before
    (no rates on weekends and bank holidays)."""
    currency = currency.upper()
    if currency == "EUR":
        return cents(amount), Decimal(1)
    rate = (
        ExchangeRate.objects.filter(
            currency=currency, day__lte=day, day__gte=day - timedelta(days=7)
        )
        .order_by("-day")
        .values_list("rate", flat=True)
        .first()
    )
    if rate is None:
        raise ValidationError(
            _("No %(currency)s exchange rate for %(day)s: import the day's rates first.")
            % {"currency": currency, "day": day.isoformat()}
        )
    return cents(Decimal(amount) / rate), rate


def credit_balance(client: Client, *, lock: bool = False) -> Decimal:
    return credit_balances([client], lock=lock)[client.pk]


def credit_balances(clients: list[Client], *, lock: bool = False) -> dict[int, Decimal]:
    """Each client's credit balance."""
    pks = sorted({client.pk for client in clients})
    if not pks:
        return {}
    if lock:
        # Every ledger change locks the client row first, so two changes never both
        # spend the same balance. In the order of their ids, so batches never deadlock.
        list(Client.objects.select_for_update().filter(pk__in=pks).order_by("pk").values("pk"))
    balances = CreditEntry.objects.filter(client__in=pks).balances()
    return {pk: balances.get(pk, ZERO) for pk in pks}


@transaction.atomic
def record_payment(client: Client, amount: Decimal, received_on: date, *,
                   method: str = Payment.Method.BANK_TRANSFER, currency: str = "EUR",
                   invoice: Invoice | None = None, reference: str = "",
                   provider_reference: str = "", actor: User | None = None,
                   request: HttpRequest | None = None) -> Payment:  # fmt: skip
    """A payment received: it settles the invoice as far as it goes, the rest is credit.
    With a `provider_reference` (a payment provider's id of this money) the payment is
    recorded once: recording it again returns the first record and changes nothing."""
    if cents(Decimal(amount)) <= 0:
        raise ValidationError(_("The amount must be at least one cent."))
    if Decimal(amount) > LARGEST_AMOUNT:
        raise ValidationError(_("This amount is larger than an invoice or payment can hold."))
    if invoice is not None and invoice.client_id != client.pk:
        raise ValidationError(_("This invoice belongs to another client."))
    euro, rate = to_euro(Decimal(amount), currency, received_on)
    # The rows locked first, in the order every ledger change takes them (client, then
    # invoice): the payment's insert alone takes weaker locks on both that two payments
    # arriving together would then both try to upgrade (a deadlock on PostgreSQL).
    credit_balance(client, lock=True)
    if invoice is not None:
        list(Invoice.objects.select_for_update().filter(pk=invoice.pk).values("pk"))
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                client=client, invoice=invoice, method=method, received_on=received_on,
                amount=euro, original_amount=cents(amount), original_currency=currency.upper(),
                exchange_rate=rate, reference=reference, provider_reference=provider_reference,
                recorded_by=actor,
            )  # fmt: skip
    except IntegrityError:
        if not provider_reference:
            raise
        return Payment.objects.get(provider_reference=provider_reference)
    rest = euro
    if invoice is not None:
        applied = _settle(invoice, euro, received_on, payment)
        payment.applied_to_invoice = applied
        payment.save(update_fields=["applied_to_invoice"])
        rest = euro - applied
        if applied and invoice.purpose == Invoice.Purpose.FUNDS:
            CreditEntry.objects.create(
                client=client, kind=CreditEntry.Kind.FUNDS, amount=applied, invoice=invoice,
                payment=payment,
            )  # fmt: skip
    if rest > 0:
        credit_balance(client, lock=True)
        CreditEntry.objects.create(
            client=client, amount=rest, payment=payment, invoice=invoice,
            kind=CreditEntry.Kind.OVERPAYMENT if invoice else CreditEntry.Kind.ON_ACCOUNT,
        )  # fmt: skip
    audit.record(
        Action.PAYMENT_RECORDED, request=request, actor=actor, client=client,
        detail=f"{payment.original_amount} {payment.original_currency}"
        + (f" → {invoice.display_number}" if invoice else ""),
    )  # fmt: skip
    return payment


def _settle(
    invoice: Invoice, amount: Decimal, day: date, payment: Payment | None = None
) -> Decimal:
    """Apply up to `amount` to an invoice; returns what was applied. The row lock means two
    payments arriving together never both settle the same amount due."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.OPEN:
        return ZERO
    applied = min(amount, invoice.amount_due)
    invoice.paid_total += applied
    if invoice.amount_due == 0:
        _mark_paid(invoice, day, payment)
    else:
        invoice.save(update_fields=["paid_total"])
    return applied


def _mark_paid(invoice: Invoice, day: date, payment: Payment | None = None) -> None:
    invoice.status = Invoice.Status.PAID
    invoice.paid_on = day
    numbered_now = invoice.number is None and invoice.purpose != Invoice.Purpose.FUNDS
    if numbered_now:
        _give_number(invoice, day)  # the payment notice becomes a fiscal invoice
    invoice.save()
    if numbered_now:
        invoices_numbered.send(sender=Invoice, invoices=[invoice])
    # Reports still waiting on this invoice can no longer be approved: approving one would
    # credit the same money a second time (BIL-8).
    PaymentReport.objects.filter(invoice=invoice, status=PaymentReport.Status.PENDING).update(
        status=PaymentReport.Status.ALREADY_PAID, settled_by=payment
    )
    invoice_paid.send(sender=Invoice, invoice=invoice, day=day)


def _pay_with_credit(invoice: Invoice, amount: Decimal, day: date) -> Payment:
    payment = Payment.objects.create(
        client=invoice.client, invoice=invoice, method=Payment.Method.CREDIT, received_on=day,
        amount=amount, original_amount=amount, applied_to_invoice=amount,
    )  # fmt: skip
    CreditEntry.objects.create(
        client=invoice.client, kind=CreditEntry.Kind.APPLIED, amount=-amount, invoice=invoice,
        payment=payment,
    )  # fmt: skip
    _settle(invoice, amount, day)
    return payment


@transaction.atomic
def apply_credit(client: Client, invoice: Invoice, amount: Decimal, now: datetime,
                 request: HttpRequest | None = None) -> Payment:  # fmt: skip
    """The client spends part of the credit balance on an open invoice (BIL-9)."""
    amount = cents(amount)
    balance = credit_balance(client, lock=True)
    invoice = client.invoices.select_for_update().get(pk=invoice.pk)
    if invoice.status != Invoice.Status.OPEN or invoice.purpose == Invoice.Purpose.FUNDS:
        raise ValidationError(_("Credit can be applied only to an invoice still to pay."))
    if amount <= 0:
        raise ValidationError(_("The amount must be greater than zero."))
    if amount > balance:
        raise ValidationError(
            _("Your credit balance is %(balance)s.") % {"balance": format_money(balance)}
        )
    if amount > invoice.amount_due:
        raise ValidationError(
            _("Only %(due)s is left to pay on this invoice.")
            % {"due": format_money(invoice.amount_due)}
        )
    payment = _pay_with_credit(invoice, amount, local_day(now))
    audit.record(
        Action.CREDIT_APPLIED, request=request, client=client,
        detail=f"{amount} EUR → {invoice.display_number}",
    )  # fmt: skip
    return payment


def add_funds(
    client: Client, amount: Decimal, now: datetime, request: HttpRequest | None = None
) -> Invoice:
    """A payment notice for funds; once paid they become credit."""
    amount = cents(amount)
    minimum = Decimal("10.00")
    if amount < minimum:
        raise ValidationError(_("The minimum is %(amount)s.") % {"amount": format_money(minimum)})
    with transaction.atomic():
        invoice = draft_invoice(
            client,
            [Line(_("Funds added to the account balance"), amount, vat_rate=ZERO)],
            now,
            purpose=Invoice.Purpose.FUNDS,
        )
        invoice.vat_note = Invoice.VatNote.FUNDS
        invoice.save(update_fields=["vat_note"])
        return issue_invoice(invoice, now, request=request)


@transaction.atomic
def refund_credit(client: Client, amount: Decimal, *, credit_note: Invoice,
                  undo: bool = False) -> CreditEntry:  # fmt: skip
    """Credit paid back to the client outside the ledger (a refund through the payment
    provider), tied to the credit note that created it; `undo` puts it back when the
    provider refused the refund."""
    amount = cents(amount)
    if amount <= 0:
        raise ValidationError(_("The amount must be greater than zero."))
    if credit_note.client_id != client.pk or credit_note.kind != Invoice.Kind.CREDIT_NOTE:
        raise ValidationError(_("A refund needs a credit note of this client."))
    balance = credit_balance(client, lock=True)
    if not undo and amount > balance:
        raise ValidationError(
            _("The client's credit balance is only %(balance)s.")
            % {"balance": format_money(balance)}
        )
    return CreditEntry.objects.create(
        client=client, kind=CreditEntry.Kind.ADJUSTMENT if undo else CreditEntry.Kind.REFUNDED,
        amount=amount if undo else -amount, invoice=credit_note,
    )  # fmt: skip


@transaction.atomic
def issue_credit_note(invoice: Invoice, now: datetime, *, reason: str,
                      amount: Decimal | None = None,
                      request: HttpRequest | None = None) -> Invoice:  # fmt: skip
    """Correct an issued invoice (BIL-12): a credit note with its own gapless series. The
    credited net comes off what is due; on a paid invoice it becomes credit."""
    original = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if original.kind != Invoice.Kind.INVOICE or original.status == Invoice.Status.DRAFT:
        raise ValidationError(_("Only an issued invoice can be credited."))
    if original.number is None:
        raise ValidationError(_("A payment notice is cancelled, not credited."))
    already = sum((note.total for note in original.credit_notes.all()), ZERO)
    creditable = original.total - already
    if creditable <= 0:
        raise ValidationError(_("This invoice has already been credited in full."))
    note = Invoice.objects.create(
        client=original.client, kind=Invoice.Kind.CREDIT_NOTE,
        purpose=Invoice.Purpose.CORRECTION, corrects=original, vat_note=original.vat_note,
        language=original.language,
    )  # fmt: skip
    if amount is None and not already:
        # A full credit mirrors the original lines, so the VAT of each rate is reversed.
        for position, line in enumerate(original.lines.all(), start=1):
            mirrored = Line(
                line.description, line.unit_price, line.quantity, vat_rate=line.vat_rate
            )
            _add_line(note, mirrored, line.vat_rate, position)
    else:
        # A partial credit is one line at the invoice's (first) rate, net of VAT.
        rate = original.lines.values_list("vat_rate", flat=True).first() or ZERO
        gross = cents(amount if amount is not None else creditable)
        _add_line(note, Line(reason, cents(gross * 100 / (100 + rate)), vat_rate=rate), rate, 1)
    note.net_total, note.vat_total, note.total = totals(list(note.lines.all()))
    if note.total > creditable:
        raise ValidationError(
            _("At most %(amount)s can still be credited.") % {"amount": format_money(creditable)}
        )
    today = local_day(now)
    _snapshot_client(note)
    note.issued_on = today
    note.status = Invoice.Status.PAID
    note.paid_on = today
    _give_number(note, today)
    note.save()
    invoices_numbered.send(sender=Invoice, invoices=[note])
    # What the note credits comes first off what is still due; the rest was paid: credit.
    off_due = min(note.total, original.amount_due)
    original.credited_total += off_due
    if original.total - original.credited_total <= 0 and original.paid_total == 0:
        original.status = Invoice.Status.CREDITED
    elif original.amount_due == 0 and original.status == Invoice.Status.OPEN:
        original.status = Invoice.Status.PAID
        original.paid_on = today
    original.save()
    refund = note.total - off_due
    if refund > 0:
        credit_balance(original.client, lock=True)
        CreditEntry.objects.create(
            client=original.client, kind=CreditEntry.Kind.CREDIT_NOTE, amount=refund,
            invoice=note,
        )  # fmt: skip
    audit.record(
        Action.CREDIT_NOTE_ISSUED, request=request, client=original.client,
        detail=f"{note.display_number} → {original.display_number}: {reason}",
    )  # fmt: skip
    send_invoice(note)
    return note


def withdraw_lines(invoice: Invoice, service_ids: list[int], now: datetime, *, reason: str,
                   request: HttpRequest | None = None) -> Invoice | None:  # fmt: skip
    """Call off what an issued invoice bills for some services (a renewal cancelled in
    time, SRV-4): on a fiscal invoice a credit note, of those lines or of the whole invoice;
    on a payment notice the lines are simply no longer due. Returns the credit note."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    lines = list(invoice.lines.filter(service_id__in=service_ids))
    if not lines or invoice.status not in (Invoice.Status.OPEN, Invoice.Status.PAID):
        return None
    whole = len(lines) == invoice.lines.count()
    gross = sum((line.net + percent_of(line.net, line.vat_rate) for line in lines), ZERO)
    if invoice.number is not None:
        return issue_credit_note(
            invoice, now, reason=reason, amount=None if whole else gross, request=request
        )
    off_due = min(gross, invoice.amount_due)
    invoice.credited_total += off_due
    if invoice.amount_due == 0:
        invoice.status = Invoice.Status.WITHDRAWN if invoice.paid_total == 0 else invoice.status
    invoice.save(update_fields=["credited_total", "status"])
    if gross > off_due:  # already paid in part: the rest becomes credit
        credit_balance(invoice.client, lock=True)
        CreditEntry.objects.create(
            client=invoice.client, kind=CreditEntry.Kind.ADJUSTMENT, amount=gross - off_due,
            invoice=invoice,
        )  # fmt: skip
    audit.record(
        Action.CREDIT_NOTE_ISSUED, request=request, client=invoice.client,
        detail=f"{invoice.display_number}: {reason}",
    )  # fmt: skip
    return None


def late_payments(client: Client, today: date) -> int:
    """Invoices of the last 12 months paid after their due date, or still overdue (BIL-7)."""
    year_ago = today - timedelta(days=365)
    invoices = client.invoices.filter(kind=Invoice.Kind.INVOICE, due_on__gte=year_ago).exclude(
        purpose=Invoice.Purpose.FUNDS
    )
    paid_late = invoices.filter(paid_on__gt=F("due_on"))
    overdue = invoices.filter(status=Invoice.Status.OPEN, due_on__lt=today)
    return paid_late.count() + overdue.count()


def is_repeat_late_payer(client: Client, today: date) -> bool:
    return late_payments(client, today) >= BillingSettings.current().late_payer_threshold


# --- Extras -----------------------------------------------------------------------------


@transaction.atomic
def add_charge(client: Client, description: str, amount: Decimal, now: datetime, *,
               invoice_now: bool = False, actor: User | None = None,
               request: HttpRequest | None = None) -> Charge:  # fmt: skip
    """A one-off extra (BIL-13), e.g. a control-panel password recovery."""
    charge = Charge.objects.create(
        client=client, description=description, amount=cents(amount), created_by=actor
    )
    audit.record(
        Action.CHARGE_ADDED, request=request, actor=actor, client=client,
        detail=f"{description} {charge.amount}",
    )  # fmt: skip
    if invoice_now:
        invoice = draft_invoice(client, [Line(description, charge.amount)], now)
        charge.invoice_line = invoice.lines.get()
        charge.save(update_fields=["invoice_line"])
        issue_invoice(invoice, now, request=request)
        charge = Charge.objects.select_related("invoice_line__invoice").get(pk=charge.pk)
    return charge


# --- Client-reported payments -----------------------------------------------------------


def review_day(reported_at: datetime) -> date:
    """Reports are reviewed on working days; those after the cut-off hour the next one."""
    local = timezone.localtime(reported_at)
    cutoff = BillingSettings.current().report_cutoff_hour
    if local.hour >= cutoff:
        return next_working_day(local.date())
    return same_or_next_working_day(local.date())


@transaction.atomic
def report_payment(client: Client, invoice: Invoice, data: Mapping[str, Any], now: datetime,
                   request: HttpRequest | None = None) -> PaymentReport:  # fmt: skip
    invoice = client.invoices.get(pk=invoice.pk)
    if invoice.status != Invoice.Status.OPEN:
        raise ValidationError(_("This invoice has nothing left to pay."))
    report = PaymentReport.objects.create(
        client=client, invoice=invoice, review_on=review_day(now), **data
    )
    audit.record(
        Action.PAYMENT_REPORTED, request=request, client=client,
        detail=f"{invoice.display_number} {report.amount}",
    )  # fmt: skip
    return report


@transaction.atomic
def approve_report(report: PaymentReport, actor: User, *, received: Decimal | None = None,
                   confirmed: bool = False,
                   request: HttpRequest | None = None) -> Payment | None:  # fmt: skip
    """Record what the bank really credited (`received`, by default the reported amount).
    An amount other than what the invoice still asks needs `confirmed`. A report whose
    invoice was paid another way meanwhile is closed as already paid, crediting nothing
    (None). A report is approved once."""
    report = PaymentReport.objects.select_for_update().get(pk=report.pk)
    if report.status != PaymentReport.Status.PENDING:
        raise ValidationError(_("This report has already been reviewed."))
    invoice = Invoice.objects.select_for_update().get(pk=report.invoice_id)
    if invoice.status != Invoice.Status.OPEN:
        report.status = PaymentReport.Status.ALREADY_PAID
        report.reviewed_by = actor
        report.save(update_fields=["status", "reviewed_by"])
        return None
    amount = report.amount if received is None else Decimal(received)
    if amount != invoice.amount_due and not confirmed:
        raise ValidationError(
            _(
                "%(amount)s differs from the %(due)s due on %(number)s: confirm the "
                "amount the bank really credited."
            )
            % {
                "amount": format_money(amount),
                "due": format_money(invoice.amount_due),
                "number": invoice.display_number,
            },
            code="difference",
        )
    report.status = PaymentReport.Status.APPROVED
    report.reviewed_by = actor
    report.received_amount = amount
    report.save(update_fields=["status", "reviewed_by", "received_amount"])
    report.payment = record_payment(
        report.client, amount, report.paid_on, invoice=invoice,
        reference=f"{report.bank} {report.branch} {report.receipt_number}".strip(),
        actor=actor, request=request,
    )  # fmt: skip
    report.save(update_fields=["payment"])
    return report.payment


@transaction.atomic
def reject_report(report: PaymentReport, actor: User, request: HttpRequest | None = None) -> None:
    updated = PaymentReport.objects.filter(
        pk=report.pk, status=PaymentReport.Status.PENDING
    ).update(status=PaymentReport.Status.REJECTED, reviewed_by=actor)
    if not updated:
        raise ValidationError(_("This report has already been reviewed."))
    audit.record(Action.PAYMENT_REPORT_REJECTED, request=request, actor=actor,
                 client=report.client, detail=str(report.invoice))  # fmt: skip


# --- Quotes -----------------------------------------------------------------------------


@transaction.atomic
def create_quote(client: Client, title: str, lines: Sequence[Line], *, notes: str = "",
                 deposit_percent: Decimal = Decimal("30.00"),
                 valid_until: date | None = None) -> Quote:  # fmt: skip
    """A draft quote: staff send it when it is ready."""
    if not lines:
        raise ValidationError(_("A quote needs at least one line."))
    quote = Quote.objects.create(
        client=client, title=title, notes=notes, deposit_percent=deposit_percent,
        valid_until=valid_until,
    )  # fmt: skip
    QuoteLine.objects.bulk_create(
        QuoteLine(quote=quote, description=line.description, quantity=line.quantity,
                  unit_price=line.unit_price, net=line_net(line.quantity, line.unit_price))
        for line in lines
    )  # fmt: skip
    return quote


@transaction.atomic
def send_quote(quote: Quote, request: HttpRequest | None = None) -> Quote:
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != Quote.Status.DRAFT or not quote.lines.exists():
        raise ValidationError(_("Only a draft with lines can be sent."))
    quote.status = Quote.Status.SENT
    quote.save(update_fields=["status"])
    queue_to_client(quote.client, "quote_sent", {"quote": quote})
    audit.record(Action.QUOTE_SENT, request=request, client=quote.client, detail=str(quote))
    return quote


@transaction.atomic
def accept_quote(quote: Quote, now: datetime, request: HttpRequest | None = None) -> Invoice | None:
    """The client accepts (BIL-1): the deposit invoice is issued and mailed at once (none
    when the quote asks no deposit)."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status != Quote.Status.SENT:
        raise ValidationError(_("This quote cannot be accepted any more."))
    if quote.valid_until and local_day(now) > quote.valid_until:
        raise ValidationError(_("This quote has expired: ask us for a new one."))
    quote.status = Quote.Status.ACCEPTED
    quote.accepted_at = now
    quote.accepted_ip = audit.client_ip(request)
    deposit = percent_of(quote.net_total, quote.deposit_percent)
    if deposit > 0:
        quote.deposit_invoice = create_invoice(
            quote.client,
            [Line(_("Deposit of %(percent)s%% on quote %(quote)s")
                  % {"percent": plain_percent(quote.deposit_percent), "quote": quote}, deposit)],
            now, purpose=Invoice.Purpose.DEPOSIT, request=request,
        )  # fmt: skip
    quote.save()
    audit.record(Action.QUOTE_ACCEPTED, request=request, client=quote.client, detail=str(quote))
    return quote.deposit_invoice


@transaction.atomic
def invoice_quote_balance(quote: Quote, now: datetime, *, delivered: bool,
                          request: HttpRequest | None = None) -> Invoice | None:  # fmt: skip
    """The balance invoice, at delivery or when the client's material never came (BIL-2).
    The row lock makes it once only, whoever asks first."""
    quote = Quote.objects.select_for_update().get(pk=quote.pk)
    if quote.status not in {Quote.Status.ACCEPTED, Quote.Status.DELIVERED}:
        raise ValidationError(_("Only an accepted quote has a balance."))
    if hasattr(quote, "extra_intervention"):
        raise ValidationError(
            _(
                "This quote authorises extra-contract work: it is billed on the time logged "
                "on its ticket."
            )
        )
    if quote.balance_invoice_id:
        return None
    deposit_net = quote.deposit_invoice.net_total if quote.deposit_invoice else ZERO
    balance = quote.net_total - deposit_net
    if delivered:
        quote.status = Quote.Status.DELIVERED
        quote.delivered_at = now
    if balance > 0:
        quote.balance_invoice = create_invoice(
            quote.client,
            [Line(_("Balance on quote %(quote)s") % {"quote": quote}, balance)],
            now, purpose=Invoice.Purpose.BALANCE, request=request,
        )  # fmt: skip
    quote.save()
    return quote.balance_invoice
