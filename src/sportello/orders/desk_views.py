"""Staff pages: orders (waiting for payment, accepted, refused) and provisioning operations
that failed or wait for a person, with the module's error and a retry."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.core.access import ADMIN, AGENT, BILLING, staff_required
from sportello.provisioning import dispatch
from sportello.provisioning.models import Operation

from . import actions
from .forms import RefuseForm
from .models import Order

STATUSES = [s.value for s in Order.Status]


@staff_required(BILLING, ADMIN)
def orders(request):
    status = request.GET.get("status", Order.Status.PENDING)
    status = status if status in STATUSES else Order.Status.PENDING
    found = (
        Order.objects.filter(status=status)
        .select_related("client", "invoice")
        .prefetch_related("items__service")[:200]
    )
    return render(request, "orders/desk/orders.html", {
        "orders": found, "status": status, "statuses": Order.Status.choices,
    })  # fmt: skip


@staff_required(BILLING, ADMIN)
def order(request, pk):
    order = get_object_or_404(Order.objects.select_related("client", "invoice"), pk=pk)
    form = RefuseForm(request.POST or None)
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision == "accept":
            try:
                actions.accept_early(order, request.user, timezone.now(), request)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("The order has been accepted."))
            return redirect("desk:order", pk=order.pk)
        if decision == "refuse" and form.is_valid():
            actions.refuse(order, request.user, form.cleaned_data["message"], timezone.now(),
                           request)  # fmt: skip
            messages.success(request, _("The order has been refused and the client told why."))
            return redirect("desk:order", pk=order.pk)
    operations = Operation.objects.filter(service__order_item__order=order).select_related(
        "service", "server"
    )
    return render(request, "orders/desk/order.html", {
        "order": order, "items": order.items.select_related("service", "product"),
        "operations": operations, "form": form,
    })  # fmt: skip


@staff_required(AGENT, ADMIN)
def operations(request):
    waiting = Operation.objects.filter(
        status__in=[Operation.Status.FAILED, Operation.Status.STAFF, Operation.Status.RUNNING]
    ).select_related("service__client", "server")[:300]
    return render(request, "orders/desk/operations.html", {"operations": waiting})


@require_POST
@staff_required(AGENT, ADMIN)
def operation(request, pk):
    found = get_object_or_404(Operation, pk=pk)
    if request.POST.get("do") == "retry":
        dispatch.retry(found)
        messages.success(request, _("The operation is being tried again."))
    elif request.POST.get("do") == "done":
        dispatch.mark_done(found, request.user, timezone.now())
        messages.success(request, _("The operation is recorded as done."))
    return redirect("desk:provisioning")
