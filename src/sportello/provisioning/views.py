"""The client's pages for what the modules know of a service: usage and the control panel's
sign-in for a hosting, name servers, transfer lock and auth code for a domain, the DNS zone
editor. Every change is an operation run by the workers; remote reads answer with what
they can when a server is down."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from sportello.core.access import client_required

from . import actions, dispatch
from .forms import DeleteRecordForm, LockForm, NameserversForm, RecordForm
from .modules.base import ModuleError

UNREACHABLE = gettext_lazy("The server does not answer now: try again in a few minutes.")


def _panel(client, pk) -> actions.Panel:
    service = get_object_or_404(client.services.select_related("product", "client__owner"), pk=pk)
    return actions.panel_of(service)


def _back(panel: actions.Panel):
    return redirect("portal:service", pk=panel.service.pk)


def _asked(request, operation, done: str):
    """The request is queued for the workers once this transaction commits."""
    dispatch.run_soon(operation)
    messages.success(request, done)


@client_required
def service_panel(request, client, pk, nameservers_form=None):
    """Usage and the domain as the servers know them now: the slot the service page loads,
    or a page of its own without scripts."""
    panel = _panel(client, pk)
    state = actions.live_state(panel) if panel.shown else actions.LiveState()
    domain = state.domain
    context = {
        "panel": panel, "service": panel.service, "state": state,
        "nameservers_form": nameservers_form or NameserversForm(
            initial={"nameservers": "\n".join(domain.nameservers)} if domain else None
        ),
        "pending": actions.pending_requests(panel.service),
    }  # fmt: skip
    if request.htmx:
        return render(request, "provisioning/_service_live.html", context)
    return render(request, "provisioning/service_panel.html", context)


@client_required
@require_POST
def service_nameservers(request, client, pk):
    panel = _panel(client, pk)
    form = NameserversForm(request.POST)
    if not form.is_valid():
        return service_panel(request, pk=pk, nameservers_form=form)
    try:
        with transaction.atomic():
            operation = actions.ask_nameservers(
                panel, form.cleaned_data["nameservers"], request.user, timezone.now()
            )
            _asked(request, operation, _("The new name servers are on their way to the registry."))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return _back(panel)


@client_required
@require_POST
def service_lock(request, client, pk):
    panel = _panel(client, pk)
    form = LockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether the domain is locked."))
        return _back(panel)
    locked = form.cleaned_data["locked"]
    try:
        with transaction.atomic():
            operation = actions.ask_lock(panel, locked, request.user, timezone.now())
            done = (
                _("The domain will be locked against transfers.")
                if locked
                else _("The domain will be unlocked: it can be transferred.")
            )
            _asked(request, operation, done)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return _back(panel)


@client_required
@require_POST
def service_auth_code(request, client, pk):
    panel = _panel(client, pk)
    try:
        with transaction.atomic():
            operation = actions.ask_auth_code(panel, request.user, timezone.now())
            done = _("We are sending the auth code to your registered address.")
            _asked(request, operation, done)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return _back(panel)


@client_required
@require_POST
def service_sso(request, client, pk):
    """Straight into the control panel, signed in (the link works once, for minutes)."""
    panel = _panel(client, pk)
    try:
        url = actions.control_panel_link(panel, request.user, timezone.now())
    except ValidationError as error:
        messages.error(request, error.messages[0])
    except (ModuleError, LookupError, OSError):
        messages.error(request, UNREACHABLE)
    else:
        if url.startswith("https://") or url.startswith("http://"):
            return HttpResponseRedirect(url)
        messages.error(request, UNREACHABLE)
    return _back(panel)


@client_required
def service_zone(request, client, pk):
    """The DNS zone: its records, one name and type replaced or deleted at a time."""
    panel = _panel(client, pk)
    service = panel.service
    try:
        records = actions.zone_records(panel)
    except (ModuleError, LookupError, OSError):
        records, unreachable = None, True
    else:
        unreachable = False
    existing = records or []
    zone_args = {"zone_name": service.name, "existing": existing}
    posted = request.POST if request.method == "POST" else None
    deleting = posted is not None and "delete" in posted
    form = RecordForm(None if deleting else posted, **zone_args)
    delete_form = DeleteRecordForm(posted if deleting else None, **zone_args)
    bound = delete_form if deleting else form
    if posted is not None:
        if records is None:
            missing = _("This service has no DNS zone.")
            messages.error(request, UNREACHABLE if unreachable else missing)
            return redirect("portal:service_zone", pk=service.pk)
        if bound.is_valid():
            try:
                with transaction.atomic():
                    operation = actions.ask_zone_change(
                        panel, [bound.cleaned_data["rrset"]], request.user, timezone.now()
                    )
                    _asked(request, operation, _("The zone is being updated."))
            except ValidationError as error:
                messages.error(request, error.messages[0])
            return redirect("portal:service_zone", pk=service.pk)
        if deleting:
            messages.error(request, _("This record is no longer in the zone."))
            return redirect("portal:service_zone", pk=service.pk)
    return render(request, "provisioning/service_zone.html", {
        "panel": panel, "service": service, "records": records, "unreachable": unreachable,
        "rows": [{"rrset": r, "name": r.relative(service.name),
                  "editable": r.editable(service.name)} for r in existing],
        "form": form, "zone": service.name,
        "pending": [op for op in actions.pending_requests(service) if op.action == "zone"],
    })  # fmt: skip
