"""Daily jobs of the service lifecycle: renewal invoices, expiry notices, suspension."""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from itertools import groupby
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from sportello.automation.registry import Counts, job
from sportello.billing.models import Invoice
from sportello.catalog.models import Product, ProductType, RenewalPolicy
from sportello.mail.actions import ClientMail, queue_to_client, queue_to_clients

from .models import Service, ServiceNotice, ServiceRenewal
from .provisioning import ask_staff
from .renewals import (
    due_for_renewal,
    expiry_cutoff,
    invoice_renewals,
    invoice_renewals_together,
    terms_by_type,
)
from .signals import expiry_noticed

# Clients invoiced, or services noticed, per transaction: large enough that the few
# queries of a batch cost little per item, small enough to keep locks short.
BATCH = 200


T = TypeVar("T")


def batches(items: list[T], size: int = BATCH) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@job("renewal_invoices")
def renewal_invoices(now: datetime, dry_run: bool = False) -> Counts:
    from sportello.automation.models import JobSettings

    today = timezone.localdate(now)
    # A client with a renewal due today gets, on the same invoice, the renewals that fall
    # due within the window after it (BIL-5).
    window = timedelta(days=JobSettings.current().renewal_window_days)
    clients = list(
        due_for_renewal(today).order_by("client_id").values_list("client_id", flat=True).distinct()
    )
    invoices = services = 0
    for batch in batches(clients):
        due = list(due_for_renewal(today + window).filter(client_id__in=batch))
        groups = [list(group) for _client, group in groupby(due, key=lambda s: s.client_id)]
        if dry_run or not groups:
            invoices += len(groups)
            services += len(due)
            continue
        issued: Sequence[Invoice | None]
        try:
            issued = invoice_renewals_together(groups, now)
        except (IntegrityError, ValidationError):
            # Another run claimed some of these periods first, or one invoice cannot be
            # issued: client by client, so only those are left out (or the error is
            # raised where it belongs).
            issued = [invoice_renewals(group[0].client, group, now) for group in groups]
        for group, invoice in zip(groups, issued, strict=True):
            if invoice is not None:
                invoices += 1
                services += len(group)
    return {"invoices": invoices, "services": services}


@job("expiry_notices")
def expiry_notices(now: datetime, dry_run: bool = False) -> Counts:
    """Notices at the configured days before (and after) expiry; the unique claim makes
    each one go out once per service and expiry date."""
    today = timezone.localdate(now)
    # The products noticed at each offset: one query per offset, not per product type.
    terms = terms_by_type()
    products_at: defaultdict[int, list[int]] = defaultdict(list)
    for pk, product_type in Product.objects.values_list("pk", "type"):
        if product_type in terms:  # types without their own terms get no notices
            for offset in terms[product_type].notice_offsets:
                products_at[offset].append(pk)
    sent = 0
    for offset, products in sorted(products_at.items()):
        expires_on = today + timedelta(days=offset)
        already = ServiceNotice.objects.filter(
            service=OuterRef("pk"), expires_on=expires_on, days_before=offset
        )
        services = list(
            Service.objects.filter(
                product_id__in=products,
                expires_on=expires_on,
                status__in=Service.LIVE_STATUSES,
            )
            .exclude(cancellation_effective_on__lte=F("expires_on"))
            .exclude(Exists(already))
            .select_related("product", "client__owner")
        )
        if dry_run:
            sent += len(services)
            continue
        for batch in batches(services):
            try:
                sent += send_notices(batch, offset)
            except IntegrityError:
                # Another run sent some of these first: one by one, skipping those.
                sent += sum(_send_notice_once(service, offset) for service in batch)
    return {"notices": sent}


def _send_notice_once(service: Service, offset: int) -> int:
    try:
        return send_notices([service], offset)
    except IntegrityError:
        return 0  # already sent by an earlier or concurrent run


def send_notices(services: list[Service], offset: int) -> int:
    """The expiry notices of `services` at `offset` days before expiry, in one
    transaction; IntegrityError if any was already sent."""
    with transaction.atomic():
        ServiceNotice.objects.bulk_create(
            ServiceNotice(service=service, expires_on=service.expires_on, days_before=offset)
            for service in services
        )
        renewals = {
            (renewal.service_id, renewal.period_start): renewal
            for renewal in ServiceRenewal.objects.filter(service__in=services).select_related(
                "invoice"
            )
        }
        mails = []
        for service in services:
            renewal = renewals.get((service.pk, service.expires_on))
            context = {
                "service": service,
                "days": offset,
                "days_after": -offset,
                "confirm_to_renew": service.renewal_policy == RenewalPolicy.CONFIRM,
                "invoice": renewal.invoice if renewal else None,
            }
            mails.append(ClientMail(service.client, "expiry_notice", context))
        queue_to_clients(mails)
        expiry_noticed.send(sender=Service, services=services, days_before=offset)
    return len(services)


@job("suspensions")
def suspensions(now: datetime, dry_run: bool = False) -> Counts:
    """Expired and unpaid past the printed due date and the grace days: tacitly renewed
    services whose renewal invoice is still open are suspended (blocked), domains put on
    hold (SRV-8), each with its notice if the provider wants one; services not renewed go
    expired, domains on hold (SRV-7, SRV-8, BIL-4, BIL-7)."""
    from sportello.automation.models import JobSettings

    today = timezone.localdate(now)
    # Unpaid: the renewal invoice is still open the day after its printed due date plus the
    # grace days, and the paid period is over (an invoice that also renews a later expiry
    # falls due with the earliest). One filter() call, so the conditions hold for the same
    # renewal: the one of the current period.
    unpaid = Service.objects.filter(
        expiry_cutoff(today, "lt", lambda terms: -terms.grace_days, "renewals__invoice__due_on"),
        status=Service.Status.ACTIVE,
        expires_on__lt=today,
        renewals__period_start=F("expires_on"),
        renewals__invoice__status="open",
    )
    past_grace = expiry_cutoff(today, "lt", lambda terms: -terms.grace_days)
    past = Service.objects.filter(past_grace, status=Service.Status.ACTIVE)
    not_renewed = past.exclude(renewals__period_start=F("expires_on"))
    domains = list(not_renewed.filter(product__type="domain").values_list("pk", flat=True))
    others = list(not_renewed.exclude(product__type="domain").values_list("pk", flat=True))
    unpaid_blocks = list(unpaid.values_list("pk", "product__type"))
    if dry_run:
        unpaid_domains = sum(kind == ProductType.DOMAIN for _pk, kind in unpaid_blocks)
        return {
            "suspended": len(unpaid_blocks) - unpaid_domains,
            "on_hold": len(domains) + unpaid_domains,
            "expired": len(others),
        }
    notify = JobSettings.current().suspension_notice
    terms = terms_by_type()
    counts = {"suspended": 0, "on_hold": 0}
    blocked: dict[str, list[int]] = {Service.Status.SUSPENDED: [], Service.Status.ON_HOLD: []}
    for pk, kind in unpaid_blocks:
        status, counted, notice = (
            (Service.Status.ON_HOLD, "on_hold", "domain_on_hold")
            if kind == ProductType.DOMAIN
            else (Service.Status.SUSPENDED, "suspended", "service_suspended")
        )
        # Compare-and-swap: only the run that blocks the service sends its notice.
        if Service.objects.filter(pk=pk, status=Service.Status.ACTIVE).update(status=status):
            counts[counted] += 1
            blocked[status].append(pk)
            if notify:
                service = Service.objects.select_related("client__owner", "product").get(pk=pk)
                renewal = service.renewals.select_related("invoice").get(
                    period_start=service.expires_on
                )
                lost_on = service.expires_on + timedelta(days=terms[kind].terminate_after_days)
                context = {"service": service, "invoice": renewal.invoice, "lost_on": lost_on}
                queue_to_client(service.client, notice, context)
    active = Service.objects.filter(status=Service.Status.ACTIVE)
    counts["on_hold"] += active.filter(pk__in=domains).update(status=Service.Status.ON_HOLD)
    counts["expired"] = active.filter(pk__in=others).update(status=Service.Status.EXPIRED)
    for blocked_status, pks in blocked.items():
        ask_staff(pks, blocked_status, today)
    ask_staff(domains, Service.Status.ON_HOLD, today)
    ask_staff(others, Service.Status.EXPIRED, today)
    return counts


@job("cancellations")
def cancellations(now: datetime, dry_run: bool = False) -> Counts:
    """Cancelled services end on the day their cancellation takes effect (SRV-4)."""
    today = timezone.localdate(now)
    due = Service.objects.filter(
        cancellation_effective_on__lte=today, status__in=Service.LIVE_STATUSES
    )
    if dry_run:
        return {"cancelled": due.count()}
    ending = list(due.values_list("pk", flat=True))
    cancelled = Service.objects.filter(pk__in=ending, status__in=Service.LIVE_STATUSES).update(
        status=Service.Status.CANCELLED
    )
    ask_staff(ending, Service.Status.CANCELLED, today)
    return {"cancelled": cancelled}


@job("terminations")
def terminations(now: datetime, dry_run: bool = False) -> Counts:
    """Blocked services still unpaid N days after expiry are terminated; domains on hold
    are released (SRV-8). N is per product type."""
    today = timezone.localdate(now)
    blocked = [Service.Status.SUSPENDED, Service.Status.ON_HOLD, Service.Status.EXPIRED]
    past_hold = expiry_cutoff(today, "lt", lambda terms: -terms.terminate_after_days)
    due = Service.objects.filter(past_hold, status__in=blocked)
    if dry_run:
        return {"terminated": due.count()}
    ending = list(due.values_list("pk", flat=True))
    terminated = Service.objects.filter(pk__in=ending, status__in=blocked).update(
        status=Service.Status.TERMINATED
    )
    ask_staff(ending, Service.Status.TERMINATED, today)
    return {"terminated": terminated}


@job("disk_quota")
def disk_quota(now: datetime, dry_run: bool = False) -> Counts:
    """Hosting over its disk quota is suspended with a notice, and reactivated once back
    under it (SRV-9); usage comes from `sportello importusage`."""
    over = Q(disk_used_mb__gt=F("product__disk_quota_mb"))
    to_block = Service.objects.filter(over, status=Service.Status.ACTIVE)
    to_free = Service.objects.filter(status=Service.Status.SUSPENDED, over_quota=True).exclude(over)
    if dry_run:
        return {"over_quota": to_block.count(), "back_under_quota": to_free.count()}
    blocked: list[int] = []
    for pk in list(to_block.values_list("pk", flat=True)):
        if Service.objects.filter(pk=pk, status=Service.Status.ACTIVE).update(
            status=Service.Status.SUSPENDED, over_quota=True
        ):
            blocked.append(pk)
            service = Service.objects.select_related("client__owner", "product").get(pk=pk)
            queue_to_client(service.client, "quota_exceeded", {"service": service})
    back = list(to_free.values_list("pk", flat=True))
    freed = Service.objects.filter(pk__in=back).update(
        status=Service.Status.ACTIVE, over_quota=False
    )
    ask_staff(blocked, Service.Status.SUSPENDED, timezone.localdate(now))
    ask_staff(back, Service.Status.ACTIVE, timezone.localdate(now))
    return {"over_quota": len(blocked), "back_under_quota": freed}
