"""Ordering: the cart priced from the catalogue, checkout (services being activated and one
invoice), acceptance when paid or by staff, refusal."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.accounts.models import Client, User
from sportello.billing import actions as billing
from sportello.billing.models import Coupon, Invoice
from sportello.billing.vat import vat_treatment
from sportello.catalog.models import DOMAIN_BOUND_TYPES, Price, Product, ProductType
from sportello.core import audit
from sportello.core.models import AuditEvent
from sportello.core.money import ZERO, percent_of
from sportello.mail.actions import queue_to_client
from sportello.provisioning import actions as provisioning
from sportello.provisioning import dispatch
from sportello.provisioning.modules.base import ModuleError
from sportello.services.models import Service

from .models import Order, OrderItem, TrustedClient

DOMAIN_NAME = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")
# A cart is a handful of things; more is a script.
LARGEST_CART = 20


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
        coupon = Coupon.objects.filter(code__iexact=code.strip()).first()
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
