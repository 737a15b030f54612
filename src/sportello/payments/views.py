"""The client's pages: pay now (one or several invoices), the way back from the provider,
saved methods and auto-pay; and the providers' webhook endpoint."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sportello.core.access import client_required
from sportello.core.net import client_ip
from sportello.core.params import to_id

from . import actions, tasks
from .forms import AutoPayForm, PayForm
from .models import AutoPay, Checkout
from .providers import InvalidEvent, ProviderError

# The largest event body taken (providers' events are a few kilobytes).
MAX_EVENT_BYTES = 256 * 1024


def _form_action(response, choices):
    origins = set()
    for name in {choice.provider for choice in choices}:
        origins.update(actions.provider(name).form_action_origins())
    if origins:
        response._csp_update = {"form-action": sorted(origins)}
    return response


@client_required
def pay(request, client):
    invoices = actions.payable_invoices(client)
    choices = actions.choices()
    form = PayForm(request.POST or None, invoices=invoices, choices=choices)
    if request.method == "GET":
        wanted = {to_id(value) for value in request.GET.getlist("invoice")} - {None}
        form.initial["invoices"] = [i.pk for i in invoices if not wanted or i.pk in wanted]
    if request.method == "POST" and form.is_valid():
        chosen = [i for i in invoices if i.pk in set(form.cleaned_data["invoices"])]

        def urls(checkout):
            return (
                request.build_absolute_uri(reverse("portal:checkout_return", args=[checkout.pk])),
                request.build_absolute_uri(reverse("portal:checkout_cancel", args=[checkout.pk])),
            )

        try:
            checkout = actions.start_checkout(
                client, chosen, form.cleaned_data["method"], timezone.now(), urls,
                save_method=form.cleaned_data["save_method"], user=request.user,
                ip=client_ip(request),
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(checkout.redirect_url)
    response = render(
        request, "payments/pay.html",
        {"form": form, "invoices": invoices, "choices": choices,
         "can_save": any(choice.can_save for choice in choices)},
    )  # fmt: skip
    return _form_action(response, choices)


@client_required
def checkout_return(request, client, pk):
    checkout = get_object_or_404(client.checkouts, pk=pk)
    if checkout.status in (Checkout.Status.OPEN, Checkout.Status.PENDING):
        try:
            checkout = actions.sync_checkout(checkout, timezone.now())
        except ProviderError:
            messages.warning(
                request,
                _("We could not reach the payment service yet: this page shows the payment "
                  "as soon as it confirms it."),
            )  # fmt: skip
    items = checkout.items.select_related("invoice")
    return render(request, "payments/checkout.html", {"checkout": checkout, "items": items})


@client_required
def checkout_cancel(request, client, pk):
    checkout = get_object_or_404(client.checkouts, pk=pk)
    actions.cancel_checkout(checkout)
    checkout.refresh_from_db()
    if checkout.status == Checkout.Status.CANCELLED:
        messages.info(request, _("Payment cancelled: nothing was charged."))
    items = checkout.items.select_related("invoice")
    return render(request, "payments/checkout.html", {"checkout": checkout, "items": items})


@client_required
def payment_methods(request, client):
    autopay = AutoPay.objects.filter(client=client).first()
    form = AutoPayForm(request.POST or None, initial={"enabled": bool(autopay and autopay.enabled)})
    if request.method == "POST" and form.is_valid():
        try:
            actions.set_autopay(
                client, form.cleaned_data["enabled"], request.user, client_ip(request)
            )
        except ValidationError as error:
            form.add_error("enabled", error)
        else:
            messages.success(request, _("Auto-pay settings saved."))
            return redirect("portal:payment_methods")
    settings = actions.settings_row()
    return render(
        request, "payments/methods.html",
        {"form": form, "methods": actions.saved_methods(client), "autopay": autopay,
         "autopay_text": actions.consent_text("autopay_on", settings),
         "retry_days": settings.dunning_days},
    )  # fmt: skip


@require_POST
@client_required
def payment_method_remove(request, client, pk):
    method = get_object_or_404(client.saved_methods, pk=pk, removed_at__isnull=True)
    actions.remove_method(client, method, timezone.now(), request.user, client_ip(request))
    messages.success(request, _("Payment method removed."))
    return redirect("portal:payment_methods")


@require_POST
@client_required
def payment_method_default(request, client, pk):
    method = get_object_or_404(client.saved_methods, pk=pk, removed_at__isnull=True)
    actions.make_default(client, method)
    messages.success(request, _("This method now pays your renewals."))
    return redirect("portal:payment_methods")


@csrf_exempt
@require_POST
def webhook(request, provider):
    """Signature checked on the raw body, the event stored once, 2xx at once; the work is
    done by a task."""
    body = request.body[: MAX_EVENT_BYTES + 1]
    if len(body) > MAX_EVENT_BYTES:
        return HttpResponse(status=413)
    headers = {key.lower(): value for key, value in request.headers.items()}
    try:
        actions.receive_event(
            provider, body, headers, timezone.now(), process=tasks.process_event_task
        )
    except InvalidEvent:
        return HttpResponse(status=400)
    return HttpResponse(status=200)
