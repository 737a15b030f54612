"""Renewal of services: the periods, the invoices, the effect of payment."""

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportello.accounts.models import Client
from sportello.billing import actions as billing
from sportello.billing.models import BillingSettings, Coupon, Invoice
from sportello.billing.signals import invoice_paid
from sportello.catalog.models import Product, RenewalPolicy

from .models import RenewalTerms, Service, ServiceQuerySet, ServiceRenewal
from .provisioning import ask_staff

DEFAULT_TERMS = RenewalTerms(invoice_lead_days=10)


def terms_by_type() -> dict[str, RenewalTerms]:
    return defaultdict(
        lambda: DEFAULT_TERMS, {t.product_type: t for t in RenewalTerms.objects.all()}
    )


def next_period_end(service: Service) -> date:
    """The period that follows the current expiry: one term, or the next fixed date."""
    return service.product.expiry_for(service.expires_on)


def expiry_cutoff(today: date, lookup: str, days: Callable[[RenewalTerms], int],
                  field: str = "expires_on") -> Q:  # fmt: skip
    """`<field> <lookup> today + days(terms)` (the expiry by default), with each product
    type's own terms (and the defaults for types without a row). Written on the products'
    ids, one condition per distinct cut-off date, so the database can range over the index
    on `expires_on` instead of joining every service to its product."""
    terms = terms_by_type()
    products_by_cutoff = defaultdict(list)
    for pk, product_type in Product.objects.values_list("pk", "type"):
        cutoff = today + timedelta(days=days(terms[product_type]))
        products_by_cutoff[cutoff].append(pk)
    condition = Q(pk__in=[])  # matches nothing: the start of the OR
    for cutoff, products in sorted(products_by_cutoff.items()):
        condition |= Q(product_id__in=products, **{f"{field}__{lookup}": cutoff})
    return condition


def due_for_renewal(today: date) -> ServiceQuerySet:
    """Tacitly renewed live services whose renewal invoice is due today or earlier, with
    no renewal claimed yet for the current period."""
    condition = expiry_cutoff(today, "lte", lambda terms: terms.invoice_lead_days)
    claimed = ServiceRenewal.objects.filter(
        service=OuterRef("pk"), period_start=OuterRef("expires_on")
    )
    return (
        Service.objects.filter(
            renewal_policy=RenewalPolicy.TACIT,
            status__in=[Service.Status.ACTIVE, Service.Status.PENDING],
        )
        .filter(condition)
        .exclude(Exists(claimed))
        # Cancelled at this expiry: no renewal. A late cancellation still renews once.
        .exclude(cancellation_effective_on__lte=F("expires_on"))
        .select_related("product", "client__owner")
        .order_by("client_id", "expires_on", "id")
    )


def renewal_line(service: Service, period_end: date) -> billing.Line:
    # The line is kept as written on the invoice, which is in the client's language.
    with translation.override(service.client.language):
        description = _("Renewal %(product)s — %(name)s") % {
            "product": service.product.localized_name,
            "name": service.name,
        }
    return billing.Line(
        description,
        service.price,
        service=service,
        period_start=service.expires_on,
        period_end=period_end,
    )


def invoice_renewals(client: Client, services: list[Service], now: datetime) -> Invoice | None:
    """One invoice for all of a client's renewals due together (BIL-5); None if another
    run claimed any of these periods first."""
    try:
        return invoice_renewals_together([services], now)[0]
    except IntegrityError:
        return None


def invoice_renewals_together(groups: list[list[Service]], now: datetime) -> list[Invoice]:
    """One renewal invoice per group (one client's services), for many clients in one
    transaction. The claims come first, all in one statement, before any other lock is
    taken: if another run claimed any of these periods, IntegrityError, and nothing of
    the batch stays."""
    with transaction.atomic():
        claims = ServiceRenewal.objects.bulk_create(
            [
                ServiceRenewal(
                    service=service,
                    period_start=service.expires_on,
                    period_end=next_period_end(service),
                )
                for services in groups
                for service in services
            ]
        )
        by_service = {claim.service_id: claim for claim in claims}
        today = timezone.localdate(now)
        coupons = _renewal_coupons([service for services in groups for service in services])
        drafts = []
        uses: list[tuple[int, Coupon, Decimal]] = []
        for index, services in enumerate(groups):
            lines = []
            for service in services:
                lines.append(renewal_line(service, by_service[service.pk].period_end))
                coupon = coupons.get(service.pk)
                discount = coupon and _renewal_discount(coupon, service, today)
                if coupon and discount:
                    lines.append(billing.discount_line(coupon, discount))
                    uses.append((index, coupon, discount))
            drafts.append((services[0].client, lines))
        invoices = billing.create_invoices(
            drafts, now, purpose=Invoice.Purpose.RENEWAL, include_pending_charges=True
        )
        for services, invoice in zip(groups, invoices, strict=True):
            for service in services:
                by_service[service.pk].invoice = invoice
        ServiceRenewal.objects.bulk_update(claims, ["invoice"])
        if coupons:
            billing.record_coupon_uses([(c, invoices[i], amount) for i, c, amount in uses])
            Service.objects.filter(pk__in=coupons).update(renewal_coupon=None)
        return invoices


def _renewal_coupons(services: list[Service]) -> dict[int, Coupon]:
    """The coupons clients entered on these services for their renewal: few, so one query
    for the whole batch and none when there are none."""
    wanted = {s.pk: s.renewal_coupon_id for s in services if s.renewal_coupon_id is not None}
    if not wanted:
        return {}
    found = Coupon.objects.prefetch_related("products").in_bulk(set(wanted.values()))
    return {pk: found[coupon] for pk, coupon in wanted.items() if coupon in found}


def _renewal_discount(coupon: Coupon, service: Service, today: date) -> Decimal | None:
    """What the coupon takes off this renewal; None (and the coupon is dropped) if it has
    expired, been used up or no longer covers the product since it was entered."""
    if not coupon.renewals or not coupon.is_valid_on(today):
        return None
    try:
        discount = billing.coupon_discount(coupon, [(service.product_id, service.price)])
        billing.take_coupon(coupon)
    except ValidationError:
        return None
    return discount


@receiver(invoice_paid)
def renew_paid_services(sender, invoice, day, **kwargs):
    """A paid renewal moves the expiry to the end of the paid period; a suspended service
    is reactivated, with the reactivation fee (BIL-7). The periods are read from the
    invoice's lines, which exist from the start: credit can pay an invoice in the very
    transaction that issues it, before its renewal claims point to it."""
    renewed = invoice.lines.filter(
        service__isnull=False, period_start__isnull=False, period_end__isnull=False
    ).select_related("service")
    for line in renewed:
        service = line.service
        # Paid by the printed due date: no reactivation fee, whenever the payment was
        # recorded (a transfer made in time may reach the books after the suspension).
        was_suspended = service.status == Service.Status.SUSPENDED and day > invoice.due_on
        was_blocked = service.status in Service.BLOCKED_STATUSES
        moved = Service.objects.filter(pk=service.pk, expires_on=line.period_start).update(
            expires_on=line.period_end, status=Service.Status.ACTIVE
        )
        if not moved:
            continue
        if was_blocked:
            ask_staff([service.pk], Service.Status.ACTIVE, day)
        if was_suspended:
            fee = BillingSettings.current().reactivation_fee
            if fee:
                with translation.override(service.client.language):
                    description = _("Reactivation of %(name)s") % {"name": service.name}
                billing.create_invoice(
                    service.client,
                    [billing.Line(description, fee)],
                    timezone.make_aware(datetime.combine(day, time(12))),
                )
