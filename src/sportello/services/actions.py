from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.accounts.models import Client, User
from sportello.billing import actions as billing
from sportello.billing.models import Invoice
from sportello.catalog.models import Product, ProductType, RenewalPolicy
from sportello.core import audit
from sportello.core.models import AuditEvent
from sportello.mail.actions import queue_to_client

from .models import ProvisioningTask, Service
from .provisioning import ask_staff
from .renewals import invoice_renewals, terms_by_type


@transaction.atomic
def create_service(
    client: Client,
    product: Product,
    *,
    name: str,
    registered_on: date,
    request: HttpRequest | None = None,
    actor: User | None = None,
    parent: Service | None = None,
    operating_system: str = "",
    ip_address: str | None = None,
    status: str = Service.Status.ACTIVE,
    renewal_policy: str = "",
    cycle_months: int = 12,
) -> Service:
    """Add a service to a client's account; support plans only where they apply (SRV-10)."""
    price = product.prices.filter(cycle_months=cycle_months).first()
    if price is None:
        raise ValidationError(
            _("%(product)s has no price for a %(months)s-month cycle.")
            % {"product": product.localized_name, "months": cycle_months}
        )
    service = Service(
        client=client,
        product=product,
        name=name.strip().lower() if product.type == ProductType.DOMAIN else name.strip(),
        status=status,
        registered_on=registered_on,
        expires_on=product.expiry_for(registered_on),
        renewal_policy=renewal_policy or product.renewal_policy,
        cycle_months=cycle_months,
        price=price.amount,
        currency=price.currency,
        parent=parent,
        operating_system=operating_system,
        ip_address=ip_address,
    )
    service.clean()
    service.save()
    audit.record(
        AuditEvent.Action.SERVICE_CREATED,
        request=request,
        actor=actor,
        client=client,
        detail=str(service),
    )
    return service


# --- Renewal on confirmation, cancellation, upgrade --------------------------------------


# The channel of a non-renewal decided by the provider.
PROVIDER = "provider"


def cancellation_terms(service: Service, today: date) -> tuple[date, bool]:
    """When a cancellation asked for today takes effect, and whether the coming renewal is
    still owed: at least 60 days before expiry it ends at expiry; later, the renewal is
    owed and it ends at the end of the renewed period (SRV-4)."""
    notice = terms_by_type()[service.product.type].cancellation_notice_days
    if today <= service.expires_on - timedelta(days=notice):
        return service.expires_on, False
    return service.product.expiry_for(service.expires_on), True


@transaction.atomic
def request_cancellation(service: Service, today: date, *, channel: str = "panel",
                         request: HttpRequest | None = None,
                         actor: User | None = None) -> Service:  # fmt: skip
    """The client's cancellation, in the panel or by registered letter (SRV-4), or the
    provider's own decision not to renew (channel "provider", seed 002: the provider may
    tell a client who paid late to move the service elsewhere, from the first expiry at
    least the notice days away)."""
    service = Service.objects.select_for_update().get(pk=service.pk)
    if service.renewal_policy != RenewalPolicy.TACIT or service.status not in Service.LIVE_STATUSES:
        raise ValidationError(
            _("This service does not renew by itself: there is nothing to cancel.")
        )
    if service.cancellation_requested_on:
        raise ValidationError(_("A cancellation has already been recorded for this service."))
    effective_on, owed = cancellation_terms(service, today)
    service.cancellation_requested_on = today
    service.cancellation_effective_on = effective_on
    service.cancellation_channel = channel
    service.save(update_fields=["cancellation_requested_on", "cancellation_effective_on",
                                "cancellation_channel"])  # fmt: skip
    audit.record(
        AuditEvent.Action.CANCELLATION_REQUESTED, request=request, actor=actor,
        client=service.client, detail=f"{service} → {effective_on} ({channel})",
    )  # fmt: skip
    if not owed:
        # In time: a renewal invoice already issued for the period that will not come is
        # called off; the claim stays, so no renewal is issued again.
        renewal = service.renewals.filter(period_start=service.expires_on).first()
        if renewal is not None and renewal.invoice is not None:
            billing.withdraw_lines(
                renewal.invoice, [service.pk], timezone.now(),
                reason=_("Renewal of %(service)s cancelled in time") % {"service": service.name},
                request=request,
            )  # fmt: skip
    queue_to_client(
        service.client,
        "renewal_stopped" if channel == PROVIDER else "cancellation_recorded",
        {"service": service, "effective_on": effective_on, "renewal_owed": owed},
    )
    return service


def may_withdraw_cancellation(service: Service, today: date) -> bool:
    """The client may take back their own cancellation until the service ends, as long as
    no renewal has been claimed for the period after it: the renewal job then invoices
    that period as if nothing had happened. The provider's decision not to renew is not
    the client's to withdraw."""
    return (
        service.cancellation_effective_on is not None
        and service.cancellation_channel != PROVIDER
        and service.status in Service.LIVE_STATUSES
        and today < service.cancellation_effective_on
        and not service.renewals.filter(period_start=service.cancellation_effective_on).exists()
    )


@transaction.atomic
def withdraw_cancellation(service: Service, today: date, *,
                          request: HttpRequest | None = None) -> Service:  # fmt: skip
    service = Service.objects.select_for_update().get(pk=service.pk)
    if not may_withdraw_cancellation(service, today):
        raise ValidationError(
            _("This cancellation can no longer be withdrawn: write to us if you want to keep "
              "the service.")
        )  # fmt: skip
    ended_on = service.cancellation_effective_on
    service.cancellation_requested_on = None
    service.cancellation_effective_on = None
    service.cancellation_channel = ""
    service.save(update_fields=["cancellation_requested_on", "cancellation_effective_on",
                                "cancellation_channel"])  # fmt: skip
    audit.record(
        AuditEvent.Action.CANCELLATION_WITHDRAWN, request=request, client=service.client,
        detail=f"{service} (was {ended_on})",
    )  # fmt: skip
    return service


# --- Suspension, reactivation and termination decided by staff --------------------------

# Staff blocks a live service by hand (abuse, a client's request, a dispute): domains go on
# hold, as the daily suspension does with unpaid ones; the rest are suspended.
SUSPENDABLE: list[str] = [Service.Status.PENDING, Service.Status.ACTIVE]


def _change_status(service: Service, allowed: list[str], status: str, refusal: str,
                   *, request: HttpRequest | None, actor: User | None,
                   over_quota: bool | None = None) -> Service:  # fmt: skip
    """Compare-and-swap from one of `allowed` to `status`; the servers are told as when a
    daily job changes it (a module or a staff task), and the status_changed signal fires."""
    service = (
        Service.objects.select_for_update().select_related("client", "product").get(pk=service.pk)
    )
    if service.status not in allowed:
        raise ValidationError(refusal % {"service": service.name,
                                         "status": service.get_status_display()})  # fmt: skip
    was = service.get_status_display()
    service.status = status
    fields = ["status"]
    if over_quota is not None:
        service.over_quota = over_quota
        fields.append("over_quota")
    service.save(update_fields=fields)
    ask_staff([service.pk], status, timezone.localdate())
    audit.record(
        AuditEvent.Action.STAFF_CHANGED_CLIENT, request=request, actor=actor,
        client=service.client,
        detail=f"{service}: {was} → {service.get_status_display()}",
    )  # fmt: skip
    # The client hears it from us, not from a site that stopped answering.
    queue_to_client(service.client, "service_status_by_staff", {"service": service})
    return service


@transaction.atomic
def suspend_service(service: Service, *, request: HttpRequest | None = None,
                    actor: User | None = None) -> Service:  # fmt: skip
    """Block a live service (a domain goes on hold) until staff reactivates it."""
    status = (
        Service.Status.ON_HOLD
        if service.product.type == ProductType.DOMAIN
        else Service.Status.SUSPENDED
    )
    return _change_status(
        service, SUSPENDABLE, status,
        _("%(service)s cannot be suspended: it is %(status)s."),
        request=request, actor=actor,
    )  # fmt: skip


@transaction.atomic
def unsuspend_service(service: Service, *, request: HttpRequest | None = None,
                      actor: User | None = None) -> Service:  # fmt: skip
    """Reactivate a blocked service (suspended, on hold or expired). An unpaid renewal
    still applies: the daily jobs block it again if it stays unpaid."""
    return _change_status(
        service, list(Service.BLOCKED_STATUSES), Service.Status.ACTIVE,
        _("%(service)s cannot be reactivated: it is %(status)s, not suspended."),
        request=request, actor=actor, over_quota=False,
    )  # fmt: skip


@transaction.atomic
def terminate_service(service: Service, *, request: HttpRequest | None = None,
                      actor: User | None = None) -> Service:  # fmt: skip
    """End a service now: its account is removed from the servers (a domain released)."""
    return _change_status(
        service, list(Service.LIVE_STATUSES), Service.Status.TERMINATED,
        _("%(service)s cannot be terminated: it is already %(status)s."),
        request=request, actor=actor,
    )  # fmt: skip


def cancellation_deadline(service: Service) -> date:
    """The last day a cancellation still ends the service at its expiry (SRV-4)."""
    notice = terms_by_type()[service.product.type].cancellation_notice_days
    return service.expires_on - timedelta(days=notice)


# Products whose plan can grow: more space, mailboxes, memory. A domain or a certificate
# has nothing to upgrade.
UPGRADABLE_TYPES = frozenset({
    ProductType.HOSTING, ProductType.MAILBOX, ProductType.PEC, ProductType.VPS,
    ProductType.CLOUD_MAIL, ProductType.SMTP_RELAY, ProductType.DEDICATED,
    ProductType.COLOCATION,
})  # fmt: skip

# What the client loses when a service of this type ends, said before they cancel or let
# it lapse.
_LOSS_KINDS: dict[str, str] = {
    ProductType.HOSTING: "data",
    ProductType.MAILBOX: "mail",
    ProductType.PEC: "mail",
    ProductType.CLOUD_MAIL: "mail",
    ProductType.DOMAIN: "domain",
    ProductType.SSL: "certificate",
    ProductType.VPS: "server",
    ProductType.DEDICATED: "server",
    ProductType.COLOCATION: "colocation",
}


def loss_kind(service: Service) -> str:
    """One of data, mail, domain, certificate, server, colocation or other."""
    return _LOSS_KINDS.get(service.product.type, "other")


def confirm_renewal(service: Service, now: datetime) -> Invoice:
    """A service renewed only on confirmation (SRV-3): the client confirms, the renewal
    invoice is issued at once."""
    if service.renewal_policy != RenewalPolicy.CONFIRM or service.status not in {
        Service.Status.ACTIVE, Service.Status.EXPIRED, Service.Status.ON_HOLD
    }:  # fmt: skip
        raise ValidationError(_("This service cannot be renewed from the panel."))
    invoice = invoice_renewals(service.client, [service], now)
    if invoice is None:
        raise ValidationError(_("The renewal of this period is already confirmed."))
    return invoice


@transaction.atomic
def coupon_for_renewal(service: Service, code: str, now: datetime, *,
                       request: HttpRequest | None = None) -> Invoice | None:  # fmt: skip
    """A coupon the client enters on a service before its renewal (BIL-14). If the renewal
    invoice is already out, the coupon goes on it (returned); otherwise the next renewal
    invoice carries the discount."""
    renewal = service.renewals.filter(
        period_start=service.expires_on, invoice__status=Invoice.Status.OPEN
    ).first()
    if renewal is not None and renewal.invoice is not None:
        billing.apply_coupon(renewal.invoice, code, now, request=request)
        return renewal.invoice
    if service.status not in Service.LIVE_STATUSES or service.cancellation_effective_on:
        raise ValidationError(_("This service will not be renewed."))
    coupon = billing.valid_coupon(code, service.client, timezone.localdate(now), renewal=True)
    billing.coupon_discount(coupon, [(service.product_id, service.price)])
    entered_elsewhere = Service.objects.filter(client=service.client, renewal_coupon=coupon)
    if coupon.once_per_client and entered_elsewhere.exclude(pk=service.pk).exists():
        raise ValidationError(_("You have already used this coupon."))
    service.renewal_coupon = coupon
    service.save(update_fields=["renewal_coupon"])
    return None


def hosted_domain_of(client: Client, email: str) -> str | None:
    """The domain of `email` when the client hosts it with us: that mailbox dies with
    the service, so it is a poor contact address (ACC-6)."""
    domain = email.rsplit("@", 1)[-1].lower()
    if Service.objects.for_client(client).hosting_domain(domain).exists():
        return domain
    return None


# --- What a change of status asks of staff ---------------------------------------------


@transaction.atomic
def complete_task(task: ProvisioningTask, staff: User, now: datetime) -> bool:
    """Staff did it on the servers; False when someone else already had."""
    return bool(
        ProvisioningTask.objects.filter(pk=task.pk, done_at__isnull=True).update(
            done_at=now, done_by=staff
        )
    )
