"""Server pages of the client area and of the staff desk. Thin: the actions decide."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.catalog.models import ProductType
from sportello.core.access import client_required, staff_required
from sportello.core.params import to_id
from sportello.services.models import Service

from . import actions, plans, reports
from .forms import MonitorForm, NewServerForm, OpenMigrationForm, SlotForm, WishesForm
from .models import Migration, Monitor, ServerSettings
from .timeline import steps, switch_window

SERVER_TYPES = [ProductType.DEDICATED, ProductType.VPS, ProductType.COLOCATION]
# The desk's migration forms; who may post them: actions.may_run_migrations.
MIGRATION_STEPS = {"open", "new_server", "book", "switched"}


def current_migration(server: Service) -> Migration | None:
    """The migration in progress, else the latest one."""
    migrations = server.migrations.order_by("-opened_on", "-id")
    return migrations.exclude(state=Migration.State.DONE).first() or migrations.first()


def _migration_context(migration: Migration | None, server: Service) -> dict[str, Any]:
    level = plans.support_level(server)
    staff_switches = plans.staff_switch(level)
    context: dict[str, Any] = {
        "server": server,
        "migration": migration,
        "level": level,
        "staff_switches": staff_switches,
        "soft_hours": plans.soft_hours_allowed(level),
        "settings": ServerSettings.current(),
    }
    if migration:
        context["steps"] = steps(migration, timezone.localdate(), staff_switches=staff_switches)
    return context


def _slot_initial(migration: Migration) -> dict:
    local = timezone.localtime(migration.switch_at)
    return {"day": local.date(), "at": local.time()}


def _fail(request, error: ValidationError, form=None):
    if form is not None:
        form.add_error(None, error)
    else:
        messages.error(request, error.messages[0])


# --- Client area -----------------------------------------------------------------------------


@client_required
def migration(request, client, pk):
    server = get_object_or_404(client.services.select_related("product"), pk=pk)
    migration = current_migration(server)
    if migration is None:
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    wishes_form = WishesForm(request.POST if action == "wishes" else None, instance=migration)
    settings = ServerSettings.current()
    window = switch_window(
        migration, plans.support_level(server), timezone.localdate(), by_client=True,
        settings=settings,
    )  # fmt: skip
    slot_form = SlotForm(
        request.POST if action == "book" else None, initial=_slot_initial(migration),
        window=window,
    )  # fmt: skip
    now = timezone.now()
    try:
        if action == "wishes" and wishes_form.is_valid():
            actions.send_wishes(migration, wishes_form.cleaned_data, now, request=request)
            messages.success(request, _("Thank you: we have your configuration wishes."))
            return redirect("servers:migration", pk=server.pk)
        if action == "book" and slot_form.is_valid():
            actions.book_switch(
                migration, slot_form.switch_at, now, by_client=True, request=request
            )
            messages.success(request, _("The IP switch is booked; our staff have been told."))
            return redirect("servers:migration", pk=server.pk)
        if action == "switched" and request.POST.get("confirm"):
            actions.record_switch(migration, now, by_client=True, request=request)
            messages.success(request, _("Recorded: the new server has the official IP."))
            return redirect("servers:migration", pk=server.pk)
    except ValidationError as error:
        _fail(request, error, {"wishes": wishes_form, "book": slot_form}.get(action))
    migration.refresh_from_db()
    return render(
        request,
        "servers/portal_migration.html",
        {
            **_migration_context(migration, server),
            "wishes_form": wishes_form,
            "slot_form": slot_form,
            "window": window,
        },
    )


@client_required
def monitoring(request, client, pk):
    server = get_object_or_404(
        client.services.select_related("product").filter(product__type__in=SERVER_TYPES), pk=pk
    )
    form = _monitor_page_post(request, server, lambda: client.monitors)
    if form is None:
        return redirect("servers:monitoring", pk=server.pk)
    return render(request, "servers/portal_monitoring.html", _monitoring_context(server, form))


def _monitor_page_post(request, server, monitors):
    """Handle the monitoring forms of a page; None after a change (redirect), else the
    activation form to show."""
    action = request.POST.get("action") if request.method == "POST" else None
    form = MonitorForm(request.POST if action == "add" else None)
    now = timezone.now()
    try:
        if action == "add" and form.is_valid():
            actions.activate_monitor(server, now=now, request=request, **form.cleaned_data)
            messages.success(request, _("Monitoring is on: the first check runs within minutes."))
            return None
        if action in {"pause", "resume", "remove"}:
            monitor = (
                monitors().filter(server=server, pk=to_id(request.POST.get("monitor"))).first()
            )
            if monitor is None:  # removed meanwhile, or a form tampered with
                messages.error(request, _("This check is not on this server any more."))
                return form
            if action == "pause":
                actions.pause_monitor(monitor, now, request=request)
                messages.success(request, _("Checks paused."))
            elif action == "resume":
                actions.resume_monitor(monitor, now, request=request)
                messages.success(request, _("Checks resumed."))
            else:
                actions.remove_monitor(monitor, request=request)
                messages.success(request, _("Check removed."))
            return None
    except ValidationError as error:
        form.add_error(None, error)
    return form


def _monitoring_context(server: Service, form) -> dict:
    now = timezone.now()
    return {
        "server": server,
        "form": form,
        "level": plans.support_level(server),
        "may_monitor": actions.may_monitor(server),
        "panels": [reports.monitor_panel(m, now) for m in server.monitors.all()],
        "settings": ServerSettings.current(),
    }


# --- Staff desk --------------------------------------------------------------------------------


@staff_required()
def desk_home(request):
    open_migrations = (
        Migration.objects.exclude(state=Migration.State.DONE)
        .select_related("server", "client")
        .order_by("switch_at")
    )
    down = Monitor.objects.filter(state=Monitor.State.DOWN).select_related("server", "client")
    return render(
        request,
        "servers/desk_home.html",
        {"migrations": open_migrations, "down": down, "today": timezone.localdate()},
    )


@staff_required()
def desk_server(request, pk):
    server = get_object_or_404(
        Service.objects.select_related("product", "client__owner").filter(
            product__type__in=SERVER_TYPES
        ),
        pk=pk,
    )
    migration = current_migration(server)
    action = request.POST.get("action") if request.method == "POST" else None
    may_run = actions.may_run_migrations(request.user)
    if action in MIGRATION_STEPS and not may_run:
        raise PermissionDenied
    open_form = OpenMigrationForm(request.POST if action == "open" else None)
    new_server_form = NewServerForm(request.POST if action == "new_server" else None)
    slot_form = SlotForm(
        request.POST if action == "book" else None,
        initial=_slot_initial(migration) if migration else None,
    )
    now = timezone.now()
    forms = {"open": open_form, "new_server": new_server_form, "book": slot_form}
    try:
        if action == "open" and open_form.is_valid():
            actions.open_migration(
                server,
                open_form.switch_at,
                now,
                reason=open_form.cleaned_data["reason"],
                request=request,
            )
            messages.success(request, _("Migration announced: the client has been told."))
            return redirect("servers_desk:server", pk=server.pk)
        if action == "new_server" and migration and new_server_form.is_valid():
            actions.record_new_server(
                migration,
                new_server_form.cleaned_data["name"],
                new_server_form.cleaned_data["temporary_ip"],
                now,
                request=request,
            )
            messages.success(request, _("New server recorded: the client has been told."))
            return redirect("servers_desk:server", pk=server.pk)
        if action == "book" and migration and slot_form.is_valid():
            actions.book_switch(
                migration, slot_form.switch_at, now, by_client=False, request=request
            )
            messages.success(request, _("The IP switch is booked; the client has been told."))
            return redirect("servers_desk:server", pk=server.pk)
        if action == "switched" and migration and request.POST.get("confirm"):
            actions.record_switch(migration, now, by_client=False, request=request)
            messages.success(request, _("Recorded: the new server has the official IP."))
            return redirect("servers_desk:server", pk=server.pk)
    except ValidationError as error:
        _fail(request, error, forms.get(action))
    monitor_form = _monitor_page_post(request, server, lambda: Monitor.objects.all())
    if monitor_form is None:
        return redirect("servers_desk:server", pk=server.pk)
    if migration:
        migration.refresh_from_db()
    return render(
        request,
        "servers/desk_server.html",
        {
            **_migration_context(migration, server),
            **_monitoring_context(server, monitor_form),
            "open_form": open_form,
            "new_server_form": new_server_form,
            "slot_form": slot_form,
            "may_run_migrations": may_run,
            "may_migrate": may_run
            and server.product.type == ProductType.DEDICATED
            and (migration is None or not migration.is_open),
        },
    )
