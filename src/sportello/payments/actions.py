"""Online payment operations: checkouts, the providers' events, saved methods and auto-pay,
off-session charges, refunds. Money is recorded only through `billing.actions.record_payment`
with the provider's payment id, so no path (return page, event, nightly reconciliation,
a retry) records the same money twice."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.accounts.models import Client, User
from sportello.billing import actions as billing
from sportello.billing.models import Invoice, Payment
from sportello.core import audit
from sportello.core.formatting import format_money
from sportello.core.models import AuditEvent
from sportello.core.money import ZERO, cents
from sportello.mail.actions import queue_to_client

from .models import (
    AutoPay,
    ChargeAttempt,
    Checkout,
    CheckoutInvoice,
    Consent,
    Method,
    PaymentSettings,
    Refund,
    SavedMethod,
    WebhookEvent,
)
from .providers import (
    Event,
    InvalidEvent,
    PaymentState,
    Provider,
    ProviderError,
    get_provider,
    provider_names,
)

# Where the client is sent back: (return URL, cancel URL) for a checkout.
ReturnUrls = Callable[[Checkout], tuple[str, str]]


@dataclass(frozen=True)
class Choice:
    provider: str
    method: str
    can_save: bool

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.method}"

    @property
    def label(self) -> str:
        return str(Method(self.method).label)


def settings_row() -> PaymentSettings:
    return PaymentSettings.current()


def provider(name: str, settings: PaymentSettings | None = None) -> Provider:
    return get_provider(name, settings or settings_row())


def choices(settings: PaymentSettings | None = None) -> list[Choice]:
    """The methods clients may pay with now, provider by provider."""
    settings = settings or settings_row()
    found = []
    for name in provider_names():
        try:
            each = get_provider(name, settings)
        except (ImportError, AttributeError):
            continue
        for method in each.enabled_methods():
            found.append(Choice(name, method, each.capabilities.save_method))
    return found


def consent_text(kind: str, settings: PaymentSettings) -> str:
    texts = {
        Consent.Kind.SAVE_METHOD: _(
            "I allow %(provider)s to keep this payment method and to charge it for my "
            "renewal invoices while auto-pay is on. I can remove it at any time in the panel."
        ),
        Consent.Kind.AUTOPAY_ON: _(
            "I ask %(provider)s to charge my saved payment method for each renewal invoice "
            "on the day it is issued, and again on the retry days if a charge fails. I can "
            "switch auto-pay off at any time in the panel."
        ),
        Consent.Kind.AUTOPAY_OFF: _("Auto-pay switched off: renewal invoices are paid by hand."),
        Consent.Kind.METHOD_REMOVED: _("Saved payment method removed."),
    }
    from sportello.core.models import Provider as ProviderRow

    return texts[Consent.Kind(kind)] % {"provider": ProviderRow.current().name}


def record_consent(client: Client, kind: str, user: User | None, ip: str | None,
                   detail: str = "") -> Consent:  # fmt: skip
    settings = settings_row()
    text = consent_text(kind, settings)
    return Consent.objects.create(
        client=client, user=user, kind=kind, text_version=settings.consent_version,
        text=f"{text} {detail}".strip(), ip=ip,
    )  # fmt: skip


# --- checkouts -----------------------------------------------------------------------------


def _charged(amount: Decimal, rate: Decimal) -> Decimal:
    """Euro converted to the currency charged, rounded up to the cent: converted back at
    the same rate it never falls short of what is due."""
    return (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def payable_invoices(client: Client) -> list[Invoice]:
    return list(
        client.invoices.filter(
            kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, payment_pending=False
        ).order_by("due_on", "id")
    )


def start_checkout(client: Client, invoices: list[Invoice], choice_key: str, now: datetime,
                   urls: ReturnUrls, *, save_method: bool = False, user: User | None = None,
                   ip: str | None = None) -> Checkout:  # fmt: skip
    """One payment for the given open invoices with the chosen method; returns the checkout
    with the provider's page to send the client to."""
    settings = settings_row()
    chosen = next((c for c in choices(settings) if c.key == choice_key), None)
    if chosen is None:
        raise ValidationError(_("Choose one of the payment methods offered."))
    ids = {invoice.pk for invoice in invoices}
    open_ones = [invoice for invoice in payable_invoices(client) if invoice.pk in ids]
    if not open_ones or len(open_ones) != len(ids):
        raise ValidationError(_("Choose invoices of yours that are still to pay."))
    currency = settings.paypal_currency if chosen.provider == "paypal" else "EUR"
    today = timezone.localdate(now)
    rate = billing.to_euro(Decimal(1), currency, today)[1] if currency != "EUR" else Decimal(1)
    with transaction.atomic():
        checkout = Checkout.objects.create(
            client=client, provider=chosen.provider, mode=settings.mode, method=chosen.method,
            amount=ZERO, charged_amount=ZERO, currency=currency, exchange_rate=rate,
            save_method=save_method and chosen.can_save,
        )  # fmt: skip
        items = [
            CheckoutInvoice(checkout=checkout, invoice=invoice, amount=invoice.amount_due)
            for invoice in open_ones
        ]
        CheckoutInvoice.objects.bulk_create(items)
        checkout.amount = sum((item.amount for item in items), ZERO)
        checkout.charged_amount = sum((_charged(item.amount, rate) for item in items), ZERO)
        checkout.save(update_fields=["amount", "charged_amount"])
        if checkout.save_method:
            record_consent(client, Consent.Kind.SAVE_METHOD, user, ip, chosen.key)
    return_url, cancel_url = urls(checkout)
    try:
        started = provider(chosen.provider, settings).start_checkout(
            checkout, return_url, cancel_url
        )
    except ProviderError as error:
        Checkout.objects.filter(pk=checkout.pk).update(
            status=Checkout.Status.FAILED, failure=str(error)[:300]
        )
        raise ValidationError(
            _("The payment service did not answer: nothing was charged. Try again shortly.")
        ) from error
    checkout.session_id = started.session_id
    checkout.redirect_url = started.redirect_url
    checkout.save(update_fields=["session_id", "redirect_url"])
    return checkout


def item_amounts(checkout: Checkout, items: list[CheckoutInvoice]) -> list[Decimal]:
    """What each invoice's share of the charge was, in the currency charged."""
    return [_charged(item.amount, checkout.exchange_rate) for item in items]


def sync_checkout(checkout: Checkout, now: datetime) -> Checkout:
    """Ask the provider where the checkout's payment stands and apply it (the return page,
    an event, the nightly reconciliation all come here)."""
    if checkout.status == Checkout.Status.PAID:
        return checkout
    state = provider(checkout.provider).checkout_state(checkout)
    return apply_state(checkout.pk, state, now)


def _method_of(checkout: Checkout) -> str:
    if checkout.method == Method.SEPA_DEBIT:
        return Payment.Method.DIRECT_DEBIT
    return Payment.Method.CARD


@transaction.atomic
def apply_state(checkout_id: int, state: PaymentState, now: datetime) -> Checkout:
    """Apply what the provider said, once: the checkout row is locked, a paid checkout
    stays paid, each invoice's share is recorded with its provider payment id."""
    checkout = Checkout.objects.select_for_update().select_related("client").get(pk=checkout_id)
    if checkout.status == Checkout.Status.PAID or state.status == "open":
        return checkout
    items = list(checkout.items.select_related("invoice"))
    invoice_ids = [item.invoice_id for item in items]
    if state.status == "succeeded":
        _record(checkout, items, state, now)
    elif state.status == "pending":
        if checkout.status != Checkout.Status.PENDING:
            checkout.status = Checkout.Status.PENDING
            checkout.payment_id = state.payment_id or checkout.payment_id
            checkout.save(update_fields=["status", "payment_id"])
            Invoice.objects.filter(pk__in=invoice_ids, status=Invoice.Status.OPEN).update(
                payment_pending=True
            )
            _save_method(checkout, state)
    elif state.status in ("failed", "action"):
        was_pending = checkout.status == Checkout.Status.PENDING
        if state.status == "failed" or checkout.attempt_id:
            checkout.status = Checkout.Status.FAILED
        checkout.failure = state.failure[:300]
        checkout.payment_id = state.payment_id or checkout.payment_id
        checkout.save(update_fields=["status", "failure", "payment_id"])
        if was_pending:
            Invoice.objects.filter(pk__in=invoice_ids).update(payment_pending=False)
            _notify_failed(checkout, [item.invoice for item in items])
        # An off-session charge that failed says so by email from the auto-pay job.
    return checkout


def _record(checkout: Checkout, items: list[CheckoutInvoice], state: PaymentState,
            now: datetime) -> None:  # fmt: skip
    today = timezone.localdate(now)
    payment_id = state.payment_id or checkout.payment_id or checkout.session_id
    shares = item_amounts(checkout, items)
    charged = state.amount if state.amount > 0 else checkout.charged_amount
    if charged < checkout.charged_amount:
        # Less than asked came in: the shares are cut from the last invoice backwards.
        short = checkout.charged_amount - charged
        for index in reversed(range(len(shares))):
            cut = min(short, shares[index])
            shares[index] -= cut
            short -= cut
    for item, share in zip(items, shares, strict=True):
        if share <= 0 or item.payment_id:
            continue
        item.payment = billing.record_payment(
            checkout.client, share, today, method=_method_of(checkout),
            currency=checkout.currency, invoice=item.invoice,
            reference=f"{checkout.provider} {payment_id}",
            provider_reference=f"{checkout.provider}:{payment_id}:{item.invoice_id}",
        )  # fmt: skip
        item.save(update_fields=["payment"])
    if charged > checkout.charged_amount:
        # More than asked (a rounding on the provider's side): the rest is credit.
        billing.record_payment(
            checkout.client, charged - checkout.charged_amount, today,
            method=_method_of(checkout), currency=checkout.currency,
            reference=f"{checkout.provider} {payment_id}",
            provider_reference=f"{checkout.provider}:{payment_id}:rest",
        )  # fmt: skip
    Invoice.objects.filter(pk__in=[item.invoice_id for item in items]).update(payment_pending=False)
    checkout.status = Checkout.Status.PAID
    checkout.payment_id = payment_id
    checkout.failure = ""
    checkout.completed_at = now
    checkout.save(update_fields=["status", "payment_id", "failure", "completed_at"])
    if checkout.attempt_id:
        ChargeAttempt.objects.filter(pk=checkout.attempt_id).update(
            status=ChargeAttempt.Status.SUCCEEDED
        )
    _save_method(checkout, state)


def _save_method(checkout: Checkout, state: PaymentState) -> SavedMethod | None:
    if not (checkout.save_method and state.saved_token):
        return None
    method, created = SavedMethod.objects.get_or_create(
        provider=checkout.provider, token=state.saved_token,
        defaults={
            "client": checkout.client, "mode": checkout.mode,
            "method": state.method or checkout.method,
            "label": state.saved_label[:100] or str(Method(checkout.method).label),
            "mandate": state.mandate[:100],
        },
    )  # fmt: skip
    if (
        created
        and not checkout.client.saved_methods.filter(default=True, removed_at__isnull=True)
        .exclude(pk=method.pk)
        .exists()
    ):
        method.default = True
        method.save(update_fields=["default"])
    return method


def _notify_failed(checkout: Checkout, invoices: list[Invoice]) -> None:
    queue_to_client(
        checkout.client, "payment_failed",
        {"checkout": checkout, "invoices": invoices, "reason": checkout.failure},
    )  # fmt: skip


@transaction.atomic
def cancel_checkout(checkout: Checkout) -> None:
    """The client came back from the provider's page without paying."""
    Checkout.objects.filter(pk=checkout.pk, status=Checkout.Status.OPEN).update(
        status=Checkout.Status.CANCELLED
    )


# --- events --------------------------------------------------------------------------------


def receive_event(provider_name: str, body: bytes, headers: dict[str, str], now: datetime,
                  process: Callable[[int], object]) -> WebhookEvent:  # fmt: skip
    """Check the signature on the raw body and store the event once per provider event id,
    with `process(event id)` (the queued task) set off when that transaction commits.
    Raises InvalidEvent."""
    if provider_name not in provider_names():
        raise InvalidEvent("unknown provider")
    settings = settings_row()
    event = provider(provider_name, settings).parse_event(body, headers, now)
    try:
        with transaction.atomic():
            row = WebhookEvent.objects.create(
                provider=provider_name, event_id=event.event_id[:200], type=event.type[:100],
                object_id=event.object_id[:200], payload=event.payload, received_at=now,
            )  # fmt: skip
            transaction.on_commit(lambda: process(row.pk))
    except IntegrityError:
        # Delivered again (a retry, a replay): counted, not processed again.
        WebhookEvent.objects.filter(provider=provider_name, event_id=event.event_id).update(
            duplicates=F("duplicates") + 1
        )
        return WebhookEvent.objects.get(provider=provider_name, event_id=event.event_id)
    return row


def _checkout_for(event: WebhookEvent) -> Checkout | None:
    parsed = Event(event.event_id, event.type, event.object_id, event.payload)
    checkout_id = _event_checkout(event.provider, parsed)
    found = Checkout.objects.filter(provider=event.provider)
    if checkout_id is not None:
        checkout = found.filter(pk=checkout_id).first()
        if checkout is not None:
            return checkout
    if event.object_id:
        return (
            found.filter(session_id=event.object_id).first()
            or found.filter(payment_id=event.object_id).first()
        )
    return None


def _event_checkout(provider_name: str, event: Event) -> int | None:
    obj = (event.payload.get("data") or {}).get("object") or event.payload.get("resource") or {}
    candidates = [
        (obj.get("metadata") or {}).get("checkout"),
        obj.get("custom_id"),
        ((obj.get("purchase_units") or [{}])[0] or {}).get("custom_id"),
        obj.get("client_reference_id"),
    ]
    for candidate in candidates:
        try:
            return int(str(candidate))
        except (TypeError, ValueError):
            continue
    return None


def process_event(event_id: int, now: datetime) -> str:
    """Apply a stored event: find its checkout and ask the provider for the payment's
    current state (events arrive out of order and more than once)."""
    event = WebhookEvent.objects.get(pk=event_id)
    if event.status in (WebhookEvent.Status.APPLIED, WebhookEvent.Status.IGNORED):
        return event.status
    WebhookEvent.objects.filter(pk=event_id).update(attempts=F("attempts") + 1)
    checkout = _checkout_for(event)
    status = WebhookEvent.Status.IGNORED
    error = ""
    if checkout is not None:
        try:
            sync_checkout(checkout, now)
            status = WebhookEvent.Status.APPLIED
        except (ProviderError, ValidationError) as failure:
            status, error = WebhookEvent.Status.FAILED, str(failure)[:1000]
    WebhookEvent.objects.filter(pk=event_id).update(status=status, error=error, processed_at=now)
    return status


# --- saved methods and auto-pay ------------------------------------------------------------


def saved_methods(client: Client) -> list[SavedMethod]:
    return list(client.saved_methods.filter(removed_at__isnull=True, mode=settings_row().mode))


@transaction.atomic
def set_autopay(client: Client, enabled: bool, user: User | None, ip: str | None) -> AutoPay:
    if enabled and not saved_methods(client):
        raise ValidationError(_("Save a payment method first: pay an invoice and keep it."))
    autopay, _created = AutoPay.objects.select_for_update().get_or_create(client=client)
    if autopay.enabled != enabled:
        autopay.enabled = enabled
        autopay.save()
        kind = Consent.Kind.AUTOPAY_ON if enabled else Consent.Kind.AUTOPAY_OFF
        record_consent(client, kind, user, ip)
    return autopay


@transaction.atomic
def make_default(client: Client, method: SavedMethod) -> None:
    method = client.saved_methods.select_for_update().get(pk=method.pk, removed_at__isnull=True)
    client.saved_methods.exclude(pk=method.pk).update(default=False)
    method.default = True
    method.save(update_fields=["default"])


@transaction.atomic
def remove_method(client: Client, method: SavedMethod, now: datetime, user: User | None,
                  ip: str | None) -> None:  # fmt: skip
    method = client.saved_methods.select_for_update().get(pk=method.pk, removed_at__isnull=True)
    method.removed_at = now
    method.default = False
    method.save(update_fields=["removed_at", "default"])
    record_consent(client, Consent.Kind.METHOD_REMOVED, user, ip, method.label)
    rest = client.saved_methods.filter(removed_at__isnull=True).order_by("-created_at")
    if not rest.exists():
        AutoPay.objects.filter(client=client, enabled=True).update(enabled=False)
    elif not rest.filter(default=True).exists():
        first = rest.first()
        if first is not None:
            first.default = True
            first.save(update_fields=["default"])


def default_method(client: Client) -> SavedMethod | None:
    return client.saved_methods.filter(
        removed_at__isnull=True, default=True, mode=settings_row().mode
    ).first()


def charge_attempt(attempt: ChargeAttempt, now: datetime) -> ChargeAttempt:
    """Charge the renewal invoice to the saved method, merchant-initiated, with the
    attempt's idempotency key; a result that needs the client emails a pay link."""
    invoice = attempt.invoice
    method = attempt.method
    with transaction.atomic():
        checkout = Checkout.objects.create(
            client=invoice.client, provider=method.provider, mode=method.mode,
            method=method.method, amount=invoice.amount_due, currency="EUR",
            charged_amount=invoice.amount_due, attempt=attempt,
        )  # fmt: skip
        CheckoutInvoice.objects.create(
            checkout=checkout, invoice=invoice, amount=invoice.amount_due
        )
    try:
        state = provider(method.provider).charge_saved(checkout, method, attempt.idempotency_key)
    except ProviderError as error:
        state = PaymentState(status="failed", checkout=checkout.pk, failure=str(error))
    if state.payment_id:
        Checkout.objects.filter(pk=checkout.pk).update(payment_id=state.payment_id)
    apply_state(checkout.pk, state, now)
    status = {
        "succeeded": ChargeAttempt.Status.SUCCEEDED,
        "pending": ChargeAttempt.Status.PENDING,
        "action": ChargeAttempt.Status.AUTHENTICATION,
    }.get(state.status, ChargeAttempt.Status.FAILED)
    attempt.status = status
    attempt.detail = state.failure[:300]
    attempt.save(update_fields=["status", "detail"])
    if status == ChargeAttempt.Status.AUTHENTICATION:
        queue_to_client(invoice.client, "payment_action_required", {"invoice": invoice})
    elif status == ChargeAttempt.Status.FAILED:
        queue_to_client(
            invoice.client, "payment_failed",
            {"checkout": checkout, "invoices": [invoice], "reason": attempt.detail},
        )  # fmt: skip
    return attempt


# --- refunds -------------------------------------------------------------------------------


def left_to_refund(credit_note: Invoice) -> Decimal:
    """What a credit note credited that no refund has paid back yet."""
    refunded = credit_note.provider_refunds.exclude(status=Refund.Status.FAILED)
    return abs(credit_note.total) - sum((r.amount for r in refunded), ZERO)


def refundable(checkout: Checkout) -> Decimal:
    refunded = sum((r.amount for r in checkout.refunds.exclude(status=Refund.Status.FAILED)), ZERO)
    return checkout.amount - refunded


def refund(checkout: Checkout, credit_note: Invoice, amount: Decimal, actor: User,
           now: datetime) -> Refund:  # fmt: skip
    """Pay back through the provider what a credit note put in the client's credit: the
    credit is taken first, and given back if the provider refuses."""
    amount = cents(amount)
    if checkout.status != Checkout.Status.PAID:
        raise ValidationError(_("Only a completed online payment can be refunded."))
    if not provider(checkout.provider).capabilities.refund:
        raise ValidationError(_("This payment service does not take refunds from here."))
    if credit_note.kind != Invoice.Kind.CREDIT_NOTE or credit_note.client_id != checkout.client_id:
        raise ValidationError(_("A refund needs a credit note of this client."))
    with transaction.atomic():
        locked = Checkout.objects.select_for_update().get(pk=checkout.pk)
        if amount <= 0 or amount > refundable(locked):
            raise ValidationError(
                _("At most %(amount)s of this payment can still be refunded.")
                % {"amount": format_money(refundable(locked))}
            )
        # Several payments may be refunded against one credit note, never more in all
        # than the note credited.
        note = Invoice.objects.select_for_update().get(pk=credit_note.pk)
        left = left_to_refund(note)
        if amount > left:
            raise ValidationError(
                _("At most %(amount)s can still be refunded against credit note %(number)s.")
                % {"amount": format_money(max(left, ZERO)), "number": note.display_number}
            )
        billing.refund_credit(checkout.client, amount, credit_note=credit_note)
        row = Refund.objects.create(
            client=checkout.client, checkout=checkout, credit_note=credit_note,
            amount=amount, created_by=actor,
        )  # fmt: skip
    charged = _charged(amount, checkout.exchange_rate)
    try:
        result = provider(checkout.provider).refund(checkout, charged, f"sportello-refund-{row.pk}")
    except ProviderError as error:
        with transaction.atomic():
            billing.refund_credit(checkout.client, amount, credit_note=credit_note, undo=True)
            Refund.objects.filter(pk=row.pk).update(status=Refund.Status.FAILED)
        raise ValidationError(
            _("The payment service refused the refund: %(reason)s") % {"reason": error}
        ) from error
    row.refund_id = result.refund_id
    row.status = result.status
    row.save(update_fields=["refund_id", "status"])
    audit.record(
        AuditEvent.Action.STAFF_CHANGED_CLIENT, actor=actor, client=checkout.client,
        detail=f"refund {amount} EUR via {checkout.provider} for {credit_note.display_number}",
    )  # fmt: skip
    return row
