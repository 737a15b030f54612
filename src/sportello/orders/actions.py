"""Ordering: the cart priced from the catalogue, checkout (services being activated and one
invoice), acceptance when paid or by staff, refusal."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportello.accounts.models import Client, User
from sportello.billing import actions as billing
from sportello.billing.models import Coupon, Invoice
from sportello.billing.proration import Proration, credit_rest_of_period, prorate
from sportello.billing.vat import vat_treatment
from sportello.catalog.models import DOMAIN_BOUND_TYPES, Price, Product, ProductType
from sportello.core import audit
from sportello.core.models import AuditEvent
from sportello.core.money import ZERO, percent_of
from sportello.mail.actions import queue_to_client
from sportello.provisioning import actions as provisioning
from sportello.provisioning import dispatch
from sportello.provisioning.models import ProductModule
from sportello.provisioning.modules.base import ModuleError
from sportello.services.models import Service

from .models import Order, OrderItem, PlanChange, TrustedClient

DOMAIN_NAME = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")
# A cart is a handful of things; more is a script.
LARGEST_CART = 20
# Services that come in plans a client may move between.
PLAN_TYPES = frozenset(
    {
        ProductType.HOSTING,
        ProductType.MAILBOX,
        ProductType.PEC,
        ProductType.CLOUD_MAIL,
        ProductType.VPS,
        ProductType.SMTP_RELAY,
    }
)


def clean_domain(name: str) -> str:
    name = (name or "").strip().lower().removeprefix("www.").rstrip(".")
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise ValidationError(_("This is not a domain name.")) from error
    if not DOMAIN_NAME.match(name):
        raise ValidationError(_("This is not a domain name."))
    return name


@dataclass
class CartLine:
    """One thing in the cart, priced from the catalogue."""

    product: Product
    cycle_months: int
    price: Decimal
    name: str = ""
    kind: str = OrderItem.Kind.NEW
    auth_code: str = ""

    @property
    def shown_name(self) -> str:
        """The domain the line is for ("" where the name is the product's own)."""
        return self.name if self.product.type in DOMAIN_BOUND_TYPES else ""

    def as_session(self) -> dict[str, Any]:
        return {"product": self.product.pk, "cycle": self.cycle_months, "name": self.name,
                "kind": self.kind, "auth_code": self.auth_code}  # fmt: skip


def priced_line(product_id: int, cycle_months: int, name: str = "",
                kind: str = OrderItem.Kind.NEW, auth_code: str = "") -> CartLine:  # fmt: skip
    """A cart line for a product on sale at one of its cycles; a domain-bound product needs
    its domain name, a transfer its auth code."""
    price = (
        Price.objects.filter(product_id=product_id, product__active=True, cycle_months=cycle_months)
        .select_related("product")
        .first()
    )
    if price is None:
        raise ValidationError(_("This product is not on sale for that period."))
    product = price.product
    if product.type in DOMAIN_BOUND_TYPES:
        name = clean_domain(name)
    elif product.type == ProductType.SUPPORT_PLAN:
        raise ValidationError(_("Support plans are ordered for a server: write to us."))
    else:
        name = (name or "").strip()[:200] or str(product.name)
    if product.type == ProductType.DOMAIN:
        if kind not in (OrderItem.Kind.REGISTER, OrderItem.Kind.TRANSFER):
            kind = OrderItem.Kind.REGISTER
        if kind == OrderItem.Kind.TRANSFER and not auth_code.strip():
            raise ValidationError(_("A transfer needs the domain's auth code."))
    else:
        kind, auth_code = OrderItem.Kind.NEW, ""
    return CartLine(product, cycle_months, price.amount, name, kind, auth_code.strip()[:100])


def cart_from_session(raw: Any) -> list[CartLine]:
    """The session's cart, priced again now (prices may have changed; what is no longer on
    sale drops out)."""
    lines = []
    for entry in raw if isinstance(raw, list) else []:
        try:
            lines.append(
                priced_line(
                    int(entry["product"]),
                    int(entry["cycle"]),
                    str(entry.get("name", "")),
                    str(entry.get("kind", "")),
                    str(entry.get("auth_code", "")),
                )  # fmt: skip
            )
        except (KeyError, TypeError, ValueError, ValidationError):
            continue
    return lines[:LARGEST_CART]


@dataclass
class Summary:
    """What the client will pay, before paying: net, coupon, VAT of their country, total."""

    net: Decimal
    discount: Decimal
    vat_rate: Decimal
    vat: Decimal
    total: Decimal
    vat_note: str
    coupon: Coupon | None = None
    coupon_error: str = ""
    lines: list[CartLine] = field(default_factory=list)


def summary(lines: list[CartLine], client: Client, today: date, coupon_code: str = "") -> Summary:
    """`client` may be unsaved (a visitor: their country and VAT number only)."""
    net = sum((line.price for line in lines), ZERO)
    discount = ZERO
    coupon = None
    error = ""
    if coupon_code.strip():
        try:
            coupon = _coupon(coupon_code, client, today)
            discount = billing.coupon_discount(coupon, [(ln.product.pk, ln.price) for ln in lines])
        except ValidationError as invalid:
            coupon, error = None, " ".join(invalid.messages)
    treatment = vat_treatment(client, today)
    taxable = net - discount
    vat = percent_of(taxable, treatment.rate)
    return Summary(net, discount, treatment.rate, vat, taxable + vat, treatment.note, coupon,
                   error, lines)  # fmt: skip


def _coupon(code: str, client: Client, today: date) -> Coupon:
    if client.pk is None:
        coupon = billing.coupon_by_code(code)
        if coupon is None or not coupon.is_valid_on(today) or coupon.used_up:
            raise ValidationError(_("This coupon is not valid."))
        return coupon
    return billing.valid_coupon(code, client, today)


def domain_choices(name: str) -> list[tuple[str, bool]]:
    """The name asked for and the same name in the other extensions on sale, each with
    whether it is free, as the registrars answer."""
    wanted = clean_domain(name)
    label = wanted.split(".")[0]
    on_sale = provisioning.registrar_products()
    if provisioning.extension_of(wanted) not in on_sale:
        raise ValidationError(_("We do not sell this extension."))
    names = [wanted] + [f"{label}.{ext}" for ext in sorted(on_sale) if f"{label}.{ext}" != wanted]
    free = provisioning.check_domains(names)
    return [(n, free.get(n, False)) for n in names]


def transfer_locked(name: str) -> bool | None:
    """Whether a registered domain is locked against transfer, as its registry answers an
    info of it (None where the registry does not tell another registrar)."""
    try:
        info = provisioning.registry_info(name)
    except ModuleError:
        return None
    return info.locked if info is not None else None


def domain_product(name: str) -> Product | None:
    module = provisioning.registrar_products().get(provisioning.extension_of(name))
    return module.product if module else None


@transaction.atomic
def place_order(client: Client, lines: list[CartLine], now: datetime, *, coupon_code: str = "",
                request: HttpRequest | None = None) -> Order:  # fmt: skip
    """The order, its services being activated and one invoice for all of them."""
    if not lines:
        raise ValidationError(_("Your cart is empty."))
    today = timezone.localdate(now)
    order = Order.objects.create(client=client, coupon=coupon_code.strip()[:40])
    invoice_lines = []
    for line in lines:
        service = Service.objects.create(
            client=client, product=line.product, name=line.name,
            status=Service.Status.PENDING, registered_on=today,
            expires_on=line.product.expiry_for(today), renewal_policy=line.product.renewal_policy,
            cycle_months=line.cycle_months, price=line.price,
        )  # fmt: skip
        OrderItem.objects.create(
            order=order, product=line.product, service=service, kind=line.kind,
            cycle_months=line.cycle_months, price=line.price, auth_code=line.auth_code,
        )  # fmt: skip
        descriptions: dict[str, str] = {
            OrderItem.Kind.REGISTER: _("Registration of %(name)s"),
            OrderItem.Kind.TRANSFER: _("Transfer of %(name)s"),
        }
        description = descriptions.get(line.kind, "%(name)s")
        invoice_lines.append(
            billing.Line(
                f"{line.product.name} — " + description % {"name": service.name},
                line.price,
                service=service,
                period_start=service.registered_on,
                period_end=service.expires_on,
            )  # fmt: skip
        )
    uses = []
    if coupon_code.strip():
        coupon = billing.valid_coupon(coupon_code, client, today)
        discount = billing.coupon_discount(coupon, [(ln.product.pk, ln.price) for ln in lines])
        billing.take_coupon(coupon)
        invoice_lines.append(billing.discount_line(coupon, discount))
        uses.append((coupon, discount))
    audit.record(
        AuditEvent.Action.SERVICE_CREATED, request=request, client=client,
        detail=f"order #{order.pk}: " + ", ".join(ln.name for ln in lines),
    )  # fmt: skip
    invoice = billing.create_invoice(client, invoice_lines, now, request=request)
    billing.record_coupon_uses([(coupon, invoice, discount) for coupon, discount in uses])
    # Issued and paid at once (the client's credit covered it): the order is accepted now.
    Order.objects.filter(pk=order.pk).update(invoice=invoice)
    order.refresh_from_db()
    if invoice.status == Invoice.Status.PAID and order.status == Order.Status.PENDING:
        accept(order, now)
    return order


def orders_paid_by(invoice: Invoice) -> list[Order]:
    """The orders an invoice bills for, found through the services of its lines (the
    invoice may be paid in the transaction that issues it, before the order points to it)."""
    services = invoice.lines.filter(service__isnull=False).values("service")
    return list(
        Order.objects.filter(status=Order.Status.PENDING, items__service__in=services).distinct()
    )


def accept(order: Order, now: datetime, actor: User | None = None) -> bool:
    """Accepted (paid, or by staff): each service goes to its modules to be created."""
    with transaction.atomic():
        taken = Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(
            status=Order.Status.ACCEPTED, accepted_at=now, decided_by=actor
        )
        if not taken:
            return False
        items = list(order.items.select_related("service"))
        params = {
            item.service_id: {"auth_code": item.auth_code} for item in items if item.auth_code
        }
        dispatch.activate([item.service for item in items], timezone.localdate(now), params)
        order.items.exclude(auth_code="").update(auth_code="")
    return True


def accept_early(order: Order, actor: User, now: datetime,
                 request: HttpRequest | None = None) -> bool:  # fmt: skip
    """Staff accept an order before payment: only for a trusted client."""
    if not TrustedClient.objects.filter(client=order.client_id).exists():
        raise ValidationError(_("Only a trusted client's orders are accepted before payment."))
    return accept(order, now, actor)


@transaction.atomic
def refuse(order: Order, actor: User, message: str, now: datetime,
           request: HttpRequest | None = None) -> bool:  # fmt: skip
    """Refused (fraud, wrong data): the services are cancelled, the invoice called off, the
    client told why."""
    taken = Order.objects.filter(pk=order.pk, status=Order.Status.PENDING).update(
        status=Order.Status.REFUSED, decided_by=actor, refusal=message
    )
    if not taken:
        return False
    order.refresh_from_db()
    services = [item.service_id for item in order.items.all()]
    Service.objects.filter(pk__in=services, status=Service.Status.PENDING).update(
        status=Service.Status.CANCELLED
    )
    if order.invoice is not None:
        billing.withdraw_lines(order.invoice, services, now, reason=message, request=request)
    queue_to_client(order.client, "order_refused", {"order": order, "message": message})
    return True


# --- plan changes ---------------------------------------------------------------------------


def _module_servers(product_id: int) -> set[int]:
    return set(ProductModule.objects.filter(product=product_id).values_list("server", flat=True))


def plan_options(service: Service) -> list[tuple[Product, Decimal]]:
    """The plans a running service may move to: the same type, on sale at its billing cycle,
    provisioned on the same servers (a change of package, not a move), with that price."""
    if service.status != Service.Status.ACTIVE or service.cancellation_effective_on:
        return []
    if service.product.type not in PLAN_TYPES:
        return []
    servers = _module_servers(service.product_id)
    prices = (
        Price.objects.filter(
            cycle_months=service.cycle_months,
            product__type=service.product.type,
            product__active=True,
        )  # fmt: skip
        .exclude(product=service.product_id)
        .select_related("product")
        .order_by("amount", "product__name")
    )
    return [(p.product, p.amount) for p in prices if _module_servers(p.product_id) == servers]


def period_of(service: Service) -> tuple[date, date]:
    """The paid period the service is in: one cycle back from its expiry (not before it
    was registered)."""
    start = service.expires_on - relativedelta(months=service.cycle_months)
    return max(start, service.registered_on), service.expires_on


def quote_plan_change(service: Service, product: Product, today: date) -> Proration:
    for option, price in plan_options(service):
        if option.pk == product.pk:
            start, end = period_of(service)
            return prorate(service.price, price, start, end, today)
    raise ValidationError(_("This plan is not available for this service."))


def change_plan(service: Service, product: Product, actor: User, now: datetime,
                request: HttpRequest | None = None) -> PlanChange:  # fmt: skip
    """The client confirmed: an upgrade is invoiced for the rest of the period and made
    when paid; a downgrade is made now and the unused difference credited."""
    today = timezone.localdate(now)
    with transaction.atomic():
        service = (
            Service.objects.select_for_update()
            .select_related("product", "client")
            .get(pk=service.pk)
        )
        if PlanChange.objects.filter(
            service=service, status=PlanChange.Status.AWAITING_PAYMENT
        ).exists():
            raise ValidationError(
                _("A plan change for this service is waiting for its invoice to be paid.")
            )
        proration = quote_plan_change(service, product, today)
        change = PlanChange.objects.create(
            service=service, from_product=service.product, to_product=product,
            old_price=proration.old_price, new_price=proration.new_price,
            period_start=proration.period_start, period_end=proration.period_end,
            changed_on=today, amount=proration.amount, asked_by=actor,
            status=PlanChange.Status.AWAITING_PAYMENT if proration.amount > 0
            else PlanChange.Status.APPLIED,
        )  # fmt: skip
        audit.record(
            AuditEvent.Action.UPGRADE_REQUESTED, request=request, client=service.client,
            detail=f"plan change #{change.pk} of {service.name}: {service.product.code} → "
            f"{product.code}, {proration.amount} EUR net",
        )  # fmt: skip
        names = {"name": service.name, "old": service.product.localized_name,
                 "new": product.localized_name}  # fmt: skip
        if proration.amount > 0:
            with translation.override(service.client.language):
                description = (
                    _("%(name)s: from %(old)s to %(new)s for the rest of the period") % names
                )
            invoice = billing.create_invoice(
                service.client,
                [billing.Line(description, proration.amount, service=service,
                              period_start=today, period_end=proration.period_end)],
                now, request=request,
            )  # fmt: skip
            PlanChange.objects.filter(pk=change.pk).update(invoice=invoice)
            change.invoice = invoice
            if invoice.status == Invoice.Status.PAID:  # the client's credit paid it
                apply_plan_change(change, now)
        else:
            if proration.amount < 0:
                with translation.override(service.client.language):
                    reason = _("%(name)s: from %(old)s to %(new)s, unused difference") % names
                change.credit_note = credit_rest_of_period(
                    service.client, service.pk, proration, reason, now, request=request
                )
                PlanChange.objects.filter(pk=change.pk).update(credit_note=change.credit_note)
            _make(change, now)
    change.refresh_from_db()
    return change


def apply_plan_change(change: PlanChange, now: datetime) -> bool:
    """An upgrade's invoice paid: the service moves to the new plan."""
    with transaction.atomic():
        taken = PlanChange.objects.filter(
            pk=change.pk, status=PlanChange.Status.AWAITING_PAYMENT
        ).update(status=PlanChange.Status.APPLIED)
        if not taken:
            return False
        _make(PlanChange.objects.select_related("service").get(pk=change.pk), now)
    return True


def _make(change: PlanChange, now: datetime) -> None:
    """The service takes the new plan and price; each module changes its package."""
    Service.objects.filter(pk=change.service_id).update(
        product=change.to_product_id, price=change.new_price
    )
    PlanChange.objects.filter(pk=change.pk).update(applied_at=now)
    service = Service.objects.get(pk=change.service_id)
    dispatch.change_plan(service, f"plan:{change.pk}")


def plan_changes_paid_by(invoice: Invoice) -> list[PlanChange]:
    return list(
        PlanChange.objects.filter(invoice=invoice, status=PlanChange.Status.AWAITING_PAYMENT)
    )
