"""The public catalogue and cart (visitors and clients), checkout with sign-up, and the
client's orders in the panel."""

from allauth.account.internal.flows.email_verification import send_verification_email_to_address
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.accounts.actions import record_acceptance, register_client
from sportello.accounts.fiscal import clean_vat_number
from sportello.accounts.models import Client, Consent, User
from sportello.billing.models import BillingSettings
from sportello.catalog.models import DOMAIN_BOUND_TYPES, Product, ProductType
from sportello.core.access import client_required
from sportello.core.params import to_id
from sportello.provisioning.modules.base import ModuleError

from . import actions
from .forms import (
    AddForm,
    CheckoutForm,
    DomainSearchForm,
    PlanForm,
    RemoveForm,
    SignupCheckoutForm,
)
from .models import Order, OrderItem, PlanChange

CART = "orders_cart"
PLACED = "orders_placed"


def _client(request) -> Client | None:
    user = request.user
    if not user.is_authenticated or user.is_staff:
        return None
    return Client.objects.filter(owner=user).first()


def _cart(request) -> list[actions.CartLine]:
    return actions.cart_from_session(request.session.get(CART))


def _save(request, lines: list[actions.CartLine]) -> None:
    request.session[CART] = [line.as_session() for line in lines]


def catalogue(request):
    products = (
        Product.objects.filter(active=True, prices__isnull=False)
        .exclude(type__in=[ProductType.DOMAIN, ProductType.SUPPORT_PLAN])
        .prefetch_related("prices")
        .distinct()
    )
    groups: dict[str, list[Product]] = {}
    for product in products:
        groups.setdefault(product.get_type_display(), []).append(product)
    return render(request, "orders/catalogue.html", {
        "groups": sorted(groups.items()), "search": DomainSearchForm(),
        "cart_size": len(_cart(request)), "domain": request.GET.get("domain", "")[:253],
        "domain_bound": DOMAIN_BOUND_TYPES,
    })  # fmt: skip


def domain(request):
    """Is the domain free? With the same name in the other extensions on sale."""
    form = DomainSearchForm(request.GET or None)
    results = []
    if form.is_valid():
        try:
            for name, free in actions.domain_choices(form.cleaned_data["name"]):
                product = actions.domain_product(name)
                price = product.prices.order_by("cycle_months").first() if product else None
                # A transfer needs the domain unlocked at its registrar: said before ordering
                # where the registry tells (None where it does not).
                locked = None if free or product is None else actions.transfer_locked(name)
                results.append({"name": name, "free": free, "product": product, "price": price,
                                "locked": locked})  # fmt: skip
        except ValidationError as error:
            form.add_error("name", error)
        except ModuleError:
            form.add_error(None, _("The registry does not answer now: try again in a moment."))
    return render(request, "orders/domain.html", {
        "search": form, "results": results, "cart_size": len(_cart(request)),
    })  # fmt: skip


@require_POST
def add(request):
    form = AddForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("This product is not on sale for that period."))
        return redirect("orders:catalogue")
    data = form.cleaned_data
    try:
        kind = data["kind"] or OrderItem.Kind.NEW
        line = actions.priced_line(
            data["product"], data["cycle"], data["name"], kind, data["auth_code"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("orders:catalogue")
    lines = _cart(request)
    if len(lines) >= actions.LARGEST_CART:
        messages.error(request, _("Your cart is full."))
    else:
        _save(request, [*lines, line])
    return redirect("orders:cart")


@require_POST
def remove(request):
    form = RemoveForm(request.POST)
    lines = _cart(request)
    if form.is_valid() and form.cleaned_data["index"] < len(lines):
        del lines[form.cleaned_data["index"]]
        _save(request, lines)
    return redirect("orders:cart")


def cart(request):
    client = _client(request)
    lines = _cart(request)
    form_class = CheckoutForm if client else SignupCheckoutForm
    posted = request.POST if request.method == "POST" else None
    placing = posted is not None and "place" in posted
    # "Update total" checks the coupon only: the rest is for when the order is placed.
    shown = posted.dict() if posted is not None and not placing else None
    form = form_class(posted if placing else None, initial=shown)
    valid = form.is_valid() if placing else False
    data = form.cleaned_data if valid else {}
    typed = posted if posted is not None else {}
    # The VAT shown is the one the client will pay: their country's, or the visitor's
    # as typed (Italy until they say).
    country = client.country if client else (typed.get("country") or "IT")[:2].upper()
    vat_number = data.get("vat_number", "") if placing else _typed_vat_number(typed, country)
    someone = client or Client(country=country, vat_number=vat_number)
    coupon = (typed.get("coupon") or "")[:40]
    summary = actions.summary(lines, someone, timezone.localdate(), coupon)
    if summary.coupon_error and posted is not None:
        if not form.is_bound:
            form.cleaned_data = {}  # add_error on a form shown with what was typed
        form.add_error("coupon", summary.coupon_error)
        valid = False
    if placing and valid:
        try:
            order = _place(request, client, form, lines, summary)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session[CART] = []
            request.session[PLACED] = order.pk
            return redirect("orders:placed")
    return render(request, "orders/cart.html", {
        "lines": lines, "summary": summary, "form": form, "client": client,
        "cart_size": len(lines),
    })  # fmt: skip


def _typed_vat_number(typed, country: str) -> str:
    """The visitor's VAT number as typed, when it is one (a business pays no Italian VAT
    from another EU country)."""
    try:
        return clean_vat_number(typed.get("vat_number") or "", country) if typed else ""
    except ValidationError:
        return ""


def _place(request, client, form, lines, summary) -> Order:
    data = form.cleaned_data
    with transaction.atomic():
        if client is None:
            user = User.objects.create_user(data["email"], data["password"],
                                            language=data["language"])  # fmt: skip
            address = EmailAddress.objects.create(user=user, email=user.email, primary=True,
                                                  verified=False)  # fmt: skip
            client = register_client(request, user, data)
            record_acceptance(request, user, client)
            transaction.on_commit(
                lambda: send_verification_email_to_address(request, address, signup=True)
            )
        else:
            # Each order is placed under the terms in force, ticked again on the cart.
            record_acceptance(request, client.owner, client, (Consent.Document.TERMS,))
        coupon = summary.coupon.code if summary.coupon else ""
        return actions.place_order(client, lines, timezone.now(), coupon_code=coupon,
                                   request=request)  # fmt: skip


def placed(request):
    """The order just placed: its invoice and how to pay it."""
    pk = to_id(str(request.session.get(PLACED, "")))
    order = Order.objects.filter(pk=pk).select_related("invoice", "client").first() if pk else None
    if order is None:
        return redirect("orders:catalogue")
    return render(request, "orders/placed.html", {
        "order": order, "invoice": order.invoice, "billing": BillingSettings.current(),
        "signed_in": _client(request) is not None,
    })  # fmt: skip


@client_required
def my_orders(request, client):
    orders = client.orders.select_related("invoice").prefetch_related("items__service")
    return render(request, "orders/my_orders.html", {"orders": orders})


@client_required
def service_plan(request, client, pk):
    """Another plan for a running service: the options with what each costs or gives back
    for the rest of the period; the chosen one shown with its computation to confirm."""
    service = get_object_or_404(client.services.select_related("product"), pk=pk)
    today = timezone.localdate()
    form = PlanForm(request.POST or None)
    chosen = None
    if request.method == "POST" and form.is_valid():
        product = Product.objects.filter(pk=form.cleaned_data["product"]).first()
        try:
            if product is None:
                raise ValidationError(_("This plan is not available for this service."))
            if form.cleaned_data["confirm"]:
                change = actions.change_plan(service, product, request.user, timezone.now(),
                                             request=request)  # fmt: skip
                if change.status == PlanChange.Status.AWAITING_PAYMENT and change.invoice:
                    done = _("Here is the invoice for the new plan: once it is paid, the "
                             "service moves to it.")  # fmt: skip
                    messages.success(request, done)
                    return redirect("portal:invoice", pk=change.invoice.pk)
                messages.success(request, _("The service is moving to the new plan."))
                return redirect("portal:service", pk=service.pk)
            chosen = (product, actions.quote_plan_change(service, product, today))
        except ValidationError as error:
            messages.error(request, error.messages[0])
    elif request.method == "POST":
        messages.error(request, _("This plan is not available for this service."))
    options = [
        (product, price, actions.quote_plan_change(service, product, today))
        for product, price in actions.plan_options(service)
    ]
    waiting = service.plan_changes.filter(status=PlanChange.Status.AWAITING_PAYMENT).first()
    return render(request, "orders/service_plan.html", {
        "service": service, "options": options, "chosen": chosen, "waiting": waiting,
    })  # fmt: skip
