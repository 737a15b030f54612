from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.core.access import ADMIN, AGENT, BILLING, staff_required
from sportello.core.params import to_id
from sportello.services import actions as service_actions
from sportello.services.models import ProvisioningTask, Service

from .forms import CancellationForm


@staff_required()
def record_cancellation(request, pk):
    """A cancellation that arrived by registered letter (SRV-4), dated the day it arrived."""

    service = get_object_or_404(Service.objects.select_related("client", "product"), pk=pk)
    form = CancellationForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            service_actions.request_cancellation(
                service, form.cleaned_data["received_on"], channel="registered_letter",
                request=request,
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The cancellation has been recorded."))
            return redirect("desk:client", pk=service.client_id)
    received = form.cleaned_data.get("received_on") if form.is_bound and form.is_valid() else None
    effective_on, owed = service_actions.cancellation_terms(
        service, received or timezone.localdate()
    )
    return render(
        request,
        "services/desk/record_cancellation.html",
        {"service": service, "form": form, "effective_on": effective_on, "owed": owed},
    )


# Provisioning is technical work: agents and administrators, not billing clerks.
TECHNICAL = (ADMIN, AGENT)


@staff_required(*TECHNICAL)
def tasks(request):
    """What changes of status ask of staff on the servers, oldest first."""
    if request.method == "POST":
        task = get_object_or_404(ProvisioningTask, pk=to_id(request.POST.get("task")) or 0)
        if service_actions.complete_task(task, request.user, timezone.now()):
            messages.success(request, _("Marked as done: %(task)s.") % {"task": task})
        else:
            messages.info(request, _("Someone had already done it."))
        return redirect("desk:tasks")
    open_tasks = ProvisioningTask.objects.filter(done_at__isnull=True).select_related(
        "service__client", "service__product"
    )
    done = (
        ProvisioningTask.objects.filter(done_at__isnull=False)
        .select_related("service__client", "done_by")
        .order_by("-done_at")[:30]
    )
    return render(request, "services/desk/tasks.html", {"open_tasks": open_tasks, "done": done})


@staff_required(ADMIN, BILLING)
@require_POST
def stop_renewal(request, pk):
    """The provider will not renew a service of a client who paid late (seed 002)."""
    service = get_object_or_404(Service.objects.select_related("client", "product"), pk=pk)
    try:
        service = service_actions.request_cancellation(
            service, timezone.localdate(), channel=service_actions.PROVIDER,
            request=request, actor=request.user,
        )  # fmt: skip
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("%(service)s will not be renewed: it ends on %(day)s. The client has been told.")
            % {
                "service": service.name,
                "day": date_format(service.cancellation_effective_on, "DATE_FORMAT"),
            },
        )
    return redirect("desk:client", pk=service.client_id)


# Staff's own decisions on a service's status; the API calls the same actions.
STATUS_CHANGES = {
    "suspend": service_actions.suspend_service,
    "unsuspend": service_actions.unsuspend_service,
    "terminate": service_actions.terminate_service,
}


@staff_required()
@require_POST
def change_status(request, pk, change):
    """Suspend, reactivate or terminate a service: its servers are told (a module, or a task
    for staff) and the client's webhooks sent, as when a daily job changes the status."""
    service = get_object_or_404(Service.objects.select_related("client", "product"), pk=pk)
    try:
        service = STATUS_CHANGES[change](service, request=request, actor=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("%(service)s is now: %(status)s.")
            % {"service": service.name, "status": service.get_status_display()},
        )
    return redirect("desk:client", pk=service.client_id)
