from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.core.access import staff_required
from sportello.services import actions as service_actions
from sportello.services.models import Service

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
