"""Daily payment work: auto-pay charges of renewal invoices on their dunning schedule, and
the reconciliation of the providers' recent payments with what we recorded."""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sportello.automation.registry import Counts, job
from sportello.billing.models import Invoice

from . import actions
from .models import ChargeAttempt, Checkout, WebhookEvent
from .providers import ProviderError, provider_names

# How far back the reconciliation asks the providers for payments.
RECONCILE_DAYS = 3
# Events left unprocessed this long (a lost task, a provider that did not answer) are
# processed again by the reconciliation.
STALE_EVENT = timedelta(minutes=10)


def _attempt_number(issued_on_days_ago: int, schedule: list[int]) -> int:
    """How many charges are due by now: the first on the day of issue, one per retry day
    passed (a day the job did not run is caught up by one charge, not several)."""
    return sum(1 for day in [0, *schedule] if day <= issued_on_days_ago)


@job("autopay", label=_("Renewals charged to saved payment methods"))
def autopay(now: datetime, dry_run: bool = False) -> Counts:
    settings = actions.settings_row()
    schedule = settings.retry_days()
    today = timezone.localdate(now)
    oldest = today - timedelta(days=max(schedule, default=0))
    invoices = (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE, purpose=Invoice.Purpose.RENEWAL,
            status=Invoice.Status.OPEN, payment_pending=False, issued_on__gte=oldest,
            issued_on__lte=today, client__autopay__enabled=True,
        )
        .select_related("client")
        .order_by("id")
    )  # fmt: skip
    counts: Counts = {"charged": 0, "pending": 0, "failed": 0, "authentication": 0}
    for invoice in invoices:
        assert invoice.issued_on is not None
        number = _attempt_number((today - invoice.issued_on).days, schedule)
        if number == 0 or invoice.charge_attempts.filter(number__gte=number).exists():
            continue
        method = actions.default_method(invoice.client)
        if method is None:
            continue
        if dry_run:
            counts["charged"] += 1
            continue
        try:
            with transaction.atomic():
                attempt = ChargeAttempt.objects.create(
                    invoice=invoice, number=number, method=method
                )
        except IntegrityError:  # another run claimed it
            continue
        result = actions.charge_attempt(attempt, now)
        key = {
            ChargeAttempt.Status.SUCCEEDED: "charged",
            ChargeAttempt.Status.PENDING: "pending",
            ChargeAttempt.Status.AUTHENTICATION: "authentication",
        }.get(ChargeAttempt.Status(result.status), "failed")
        counts[key] += 1
    return counts


@job("payment_reconciliation", label=_("Online payments reconciled with the providers"))
def reconcile(now: datetime, dry_run: bool = False) -> Counts:
    """Payments the providers list that never arrived as an event are applied; events left
    unprocessed are processed again."""
    counts: Counts = {"applied": 0, "events": 0, "unreachable": 0}
    settings = actions.settings_row()
    since = now - timedelta(days=RECONCILE_DAYS)
    for name in provider_names():
        try:
            provider = actions.provider(name, settings)
        except (ImportError, AttributeError):
            continue
        if not provider.enabled_methods():
            continue
        try:
            states = provider.recent_payments(since, now)
        except ProviderError:
            counts["unreachable"] += 1
            continue
        for state in states:
            if state.checkout is None:
                continue
            checkout = Checkout.objects.filter(pk=state.checkout, provider=name).first()
            if checkout is None or checkout.status == Checkout.Status.PAID:
                continue
            if state.status == "pending" and checkout.status == Checkout.Status.PENDING:
                continue
            counts["applied"] += 1
            if not dry_run:
                try:
                    actions.sync_checkout(checkout, now)
                except ProviderError:
                    counts["unreachable"] += 1
    stale = WebhookEvent.objects.filter(
        status__in=[WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED],
        received_at__lt=now - STALE_EVENT,
    ).values_list("pk", flat=True)
    for event_id in list(stale):
        counts["events"] += 1
        if not dry_run:
            actions.process_event(event_id, now)
    return counts
