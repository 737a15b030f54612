from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.accounts import actions as account_actions
from sportello.accounts.forms import ContactAddressForm
from sportello.billing import actions as billing
from sportello.billing.forms import CouponForm
from sportello.billing.models import Invoice
from sportello.catalog.models import ProductType, RenewalPolicy
from sportello.core.access import client_required
from sportello.core.money import ZERO
from sportello.core.params import to_search
from sportello.helpdesk import actions as helpdesk
from sportello.helpdesk.forms import UpgradeForm
from sportello.services import actions as service_actions
from sportello.services.models import Service


@client_required
def dashboard(request, client):
    services = list(client.services.for_listing())
    emails = list(client.emails.for_listing()[:10])
    to_pay = list(client.invoices.filter(status=Invoice.Status.OPEN).order_by("due_on", "id"))
    today = timezone.localdate()
    for invoice in to_pay:
        invoice.overdue = invoice.is_overdue(today)
    return render(
        request,
        "portal/dashboard.html",
        {
            "client": client,
            "services": services,
            "emails": emails,
            "to_pay": to_pay,
            "to_pay_total": sum((invoice.amount_due for invoice in to_pay), ZERO),
            "credit_balance": billing.credit_balance(client),
            "open_tickets": list(client.tickets.open().order_by("-last_activity_at")[:5]),
            "promotions": billing.announced_coupons(client, today),
        },
    )


# The state filter of the services page: what each choice selects.
SERVICE_STATES = {
    "live": lambda services, today: services.filter(status__in=Service.LIVE_STATUSES),
    "expiring": lambda services, today: services.filter(
        status__in=Service.LIVE_STATUSES, expires_on__lte=today + timedelta(days=60)
    ),
    "cancelled": lambda services, today: services.filter(
        status__in=Service.LIVE_STATUSES, cancellation_effective_on__isnull=False
    ),
    "ended": lambda services, today: services.exclude(status__in=Service.LIVE_STATUSES),
}


@client_required
def services(request, client):
    today = timezone.localdate()
    everything = client.services.for_listing()
    query = to_search(request.GET.get("q"), 100)
    kind = request.GET.get("type") or ""
    state = request.GET.get("state") or ""
    shown = everything
    if query:
        shown = shown.filter(name__icontains=query)
    kinds = sorted(set(everything.values_list("product__type", flat=True)))
    if kind in kinds:
        shown = shown.filter(product__type=kind)
    else:
        kind = ""
    if state in SERVICE_STATES:
        shown = SERVICE_STATES[state](shown, today)
    else:
        state = ""
    return render(
        request,
        "portal/services.html",
        {
            "services": list(shown),
            "total": everything.count(),
            "query": query,
            "kind": kind,
            "state": state,
            "kinds": [(value, ProductType(value).label) for value in kinds],
            "states": [
                ("live", _("In service")),
                ("expiring", _("Expiring within 60 days")),
                ("cancelled", _("Cancellation requested")),
                ("ended", _("Ended")),
            ],
        },
    )


@client_required
def service_detail(request, client, pk):
    service = get_object_or_404(
        client.services.select_related("product", "parent", "renewal_coupon"), pk=pk
    )
    today = timezone.localdate()
    may_upgrade = (
        service.product.type in service_actions.UPGRADABLE_TYPES
        and service.status in Service.LIVE_STATUSES
        and not service.cancellation_effective_on
    )
    upgrade_form = UpgradeForm(request.POST if request.POST.get("action") == "upgrade" else None)
    coupon_form = CouponForm(request.POST if request.POST.get("action") == "coupon" else None)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "cancel" and request.POST.get("confirm"):
                service_actions.request_cancellation(service, today, request=request)
                messages.success(request, _("Your cancellation has been recorded."))
                return redirect("portal:service", pk=service.pk)
            if action == "withdraw_cancellation":
                service_actions.withdraw_cancellation(service, today, request=request)
                messages.success(
                    request, _("Your cancellation is withdrawn: the service renews as usual.")
                )
                return redirect("portal:service", pk=service.pk)
            if action == "renew":
                invoice = service_actions.confirm_renewal(service, timezone.now())
                messages.success(request, _("Renewal confirmed: here is the invoice."))
                return redirect("portal:invoice", pk=invoice.pk)
            if action == "upgrade" and may_upgrade and upgrade_form.is_valid():
                ticket = helpdesk.request_upgrade(
                    service, upgrade_form.cleaned_data["description"], timezone.now(),
                    request=request,
                )  # fmt: skip
                messages.success(
                    request, _("Your request has reached our sales team: they will reply soon.")
                )
                return redirect("portal:ticket", code=ticket.code)
            if action == "coupon" and coupon_form.is_valid():
                code = coupon_form.cleaned_data["code"]
                invoice = service_actions.coupon_for_renewal(
                    service, code, timezone.now(), request=request
                )
                if invoice is not None:
                    messages.success(request, _("Coupon applied to the renewal invoice."))
                    return redirect("portal:invoice", pk=invoice.pk)
                messages.success(
                    request, _("Coupon saved: your next renewal invoice carries the discount.")
                )
                return redirect("portal:service", pk=service.pk)
        except ValidationError as error:
            if action == "coupon":
                coupon_form.add_error("code", error)
            else:
                messages.error(request, error.messages[0])
    effective_on, renewal_owed = service_actions.cancellation_terms(service, today)
    renewal = (
        service.renewals.filter(period_start=service.expires_on, invoice__status="open")
        .select_related("invoice")
        .first()
    )
    return render(
        request,
        "portal/service.html",
        {
            "service": service,
            "addons": service.addons.select_related("product"),
            "cancel_effective_on": effective_on,
            "cancel_renewal_owed": renewal_owed,
            "can_cancel": service.renewal_policy == RenewalPolicy.TACIT
            and service.status in Service.LIVE_STATUSES
            and not service.cancellation_requested_on,
            "can_confirm": service.renewal_policy == RenewalPolicy.CONFIRM
            and service.status
            in {Service.Status.ACTIVE, Service.Status.EXPIRED, Service.Status.ON_HOLD}
            and not service.renewals.filter(period_start=service.expires_on).exists(),
            "upgrade_form": upgrade_form,
            "may_upgrade": may_upgrade,
            "loss": service_actions.loss_kind(service),
            "cancel_deadline": service_actions.cancellation_deadline(service),
            "may_withdraw": service_actions.may_withdraw_cancellation(service, today),
            "renewal_invoice": renewal.invoice if renewal else None,
            "coupon_form": coupon_form,
            "may_enter_coupon": service.status in Service.LIVE_STATUSES
            and not service.cancellation_effective_on
            and service.renewal_coupon_id is None
            and not (renewal and renewal.invoice.coupon_uses.exists()),
            "renewal_coupons": billing.announced_coupons(
                client, today, products={service.product_id}, renewal=True
            ),
        },
    )


@client_required
def contact_address(request, client):
    form = ContactAddressForm(
        request.POST or None, client=client, hosted_domain_of=service_actions.hosted_domain_of
    )
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["email"]
        account_actions.request_contact_change(request, client, new_email)
        messages.success(
            request,
            _("We sent a confirmation link to %(email)s. The address changes when you open it.")
            % {"email": new_email},
        )
        return redirect("portal:contact_address")
    return render(
        request,
        "portal/contact_address.html",
        {
            "form": form,
            "client": client,
            "pending": account_actions.pending_contact_change(client),
            "current_hosted": service_actions.hosted_domain_of(client, client.contact_email),
        },
    )


# --- Billing ------------------------------------------------------------------------------
