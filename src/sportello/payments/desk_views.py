"""Billing staff's pages: the providers' events as received, and refunds."""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.billing.models import Invoice
from sportello.core.access import ADMIN, BILLING, staff_required
from sportello.core.params import page_number, to_search

from . import actions
from .forms import RefundForm
from .models import Checkout, WebhookEvent


@staff_required(ADMIN, BILLING)
def payment_events(request):
    events = WebhookEvent.objects.all()
    status = request.GET.get("status")
    if status in WebhookEvent.Status.values:
        events = events.filter(status=status)
    search = to_search(request.GET.get("q"), 200)
    if search:
        events = events.filter(event_id__icontains=search) | events.filter(
            object_id__icontains=search
        )
    page = Paginator(events, 50).get_page(page_number(request))
    return render(
        request, "payments/desk/events.html",
        {"page": page, "status": status, "q": search, "statuses": WebhookEvent.Status.choices,
         "section": "online_payments"},
    )  # fmt: skip


@staff_required(ADMIN, BILLING)
def payment_event(request, pk):
    event = get_object_or_404(WebhookEvent, pk=pk)
    if request.method == "POST":
        WebhookEvent.objects.filter(pk=pk, status=WebhookEvent.Status.FAILED).update(
            status=WebhookEvent.Status.RECEIVED
        )
        actions.process_event(pk, timezone.now())
        return redirect("desk:payment_event", pk=pk)
    payload = json.dumps(event.payload, indent=2, sort_keys=True, ensure_ascii=False)
    return render(
        request, "payments/desk/event.html",
        {"event": event, "payload": payload, "section": "online_payments"},
    )  # fmt: skip


@require_POST
@staff_required(ADMIN, BILLING)
def payment_refund(request, pk):
    checkout = get_object_or_404(Checkout, pk=pk)
    notes = Invoice.objects.filter(client=checkout.client_id, kind=Invoice.Kind.CREDIT_NOTE)
    form = RefundForm(request.POST, credit_notes=notes)
    invoice = checkout.items.values_list("invoice", flat=True).first()
    if form.is_valid():
        note = notes.get(pk=form.cleaned_data["credit_note"])
        try:
            actions.refund(
                checkout, note, form.cleaned_data["amount"], request.user, timezone.now()
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Refund sent to the payment service."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("desk:invoice", pk=invoice) if invoice else redirect("desk:payment_events")
