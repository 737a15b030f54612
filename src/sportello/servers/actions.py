"""Operations on dedicated servers: the planned migration (SRV-12) and monitoring (SRV-11).
Each is one transaction, writes an audit row and queues its emails."""

import ipaddress
import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, TypedDict
from urllib.parse import urlsplit

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.accounts.models import User
from sportello.catalog.models import ProductType
from sportello.core import audit
from sportello.core.models import AuditEvent
from sportello.mail.actions import queue_to_client
from sportello.services.models import Service

from . import plans
from .models import Migration, Monitor, ServerSettings
from .notify import alert_staff, server_staff
from .timeline import check_switch_slot, client_booking_earliest, plan_dates

# --- Planned migration ----------------------------------------------------------------------


def may_run_migrations(user: User | AnonymousUser | None) -> bool:
    """Who opens a migration and moves it on from the desk (the new server, the switch
    slot, the switch): administrators, and the agents who look after servers (the
    department server alerts go to, Helpdesk by default). These steps change a client's
    production server and mail the client, so billing clerks and agents of other
    departments (sales) only follow them."""
    if not (user and user.is_authenticated and user.is_active and user.is_staff):
        return False
    if user.is_admin:
        return True
    return user.role == User.Role.AGENT and server_staff().filter(pk=user.pk).exists()


def _check_migration_right(request: HttpRequest | None, actor: User | None) -> None:
    """Staff steps taken by a person need the right; the daily job's take none."""
    user = actor or getattr(request, "user", None)
    if user is not None and user.is_authenticated and not may_run_migrations(user):
        raise PermissionDenied


def _mail_context(migration: Migration) -> dict[str, Any]:
    level = plans.support_level(migration.server)
    return {
        "migration": migration,
        "server": migration.server,
        "staff_switches": plans.staff_switch(level),
        "soft_hours": plans.soft_hours_allowed(level),
    }


def _record(action: str, migration: Migration, detail: str, *,
            request: HttpRequest | None = None, actor: User | None = None) -> None:  # fmt: skip
    audit.record(
        action,
        request=request,
        actor=actor,
        client=migration.client,
        detail=f"{migration.server.name}: {detail}",
    )


@transaction.atomic
def open_migration(
    server: Service,
    switch_at: datetime,
    now: datetime,
    *,
    reason: str = "",
    request: HttpRequest | None = None,
    actor: User | None = None,
) -> Migration:
    """Day X: staff tell the client their dedicated server will be replaced, with the
    proposed switch date (at least 15 days ahead, seed 003); the timeline follows."""
    _check_migration_right(request, actor)
    server = Service.objects.select_for_update().select_related("client__owner").get(pk=server.pk)
    if server.product.type != ProductType.DEDICATED:
        raise ValidationError(_("Only rented dedicated servers are migrated this way."))
    if server.status != Service.Status.ACTIVE:
        raise ValidationError(_("Only an active server can be migrated."))
    if not server.ip_address:
        raise ValidationError(_("Give the server its official IP address first."))
    if Migration.objects.filter(server=server).exclude(state=Migration.State.DONE).exists():
        raise ValidationError(_("This server already has a migration in progress."))
    settings = ServerSettings.current()
    today = timezone.localdate(now)
    dates = plan_dates(today, settings)
    check_switch_slot(
        switch_at,
        opened_on=today,
        old_off_on=dates["old_off_on"],
        level=plans.support_level(server),
        settings=settings,
        server_due_on=dates["server_due_on"],
    )
    try:
        with transaction.atomic():
            migration = Migration.objects.create(
                server=server,
                client=server.client,
                opened_on=today,
                opened_by=actor or getattr(request, "user", None),
                reason=reason.strip()[:300],
                switch_at=switch_at,
                **dates,
            )
    except IntegrityError:
        raise ValidationError(_("This server already has a migration in progress.")) from None
    _record(
        AuditEvent.Action.MIGRATION_OPENED,
        migration,
        f"switch {switch_at:%Y-%m-%d %H:%M}",
        request=request,
        actor=actor,
    )
    queue_to_client(server.client, "migration_planned", _mail_context(migration))
    return migration


def _locked(migration: Migration) -> Migration:
    return (
        Migration.objects.select_for_update()
        .select_related("server__product", "client__owner")
        .get(pk=migration.pk)
    )


@transaction.atomic
def send_wishes(migration: Migration, wishes: Mapping[str, Any], now: datetime, *,
                request: HttpRequest | None = None) -> Migration:  # fmt: skip
    """The client's configuration wishes (due by X+10). A late form is still taken while the
    new server is not ready, and staff hear of it."""
    migration = _locked(migration)
    if not migration.accepts_wishes:
        raise ValidationError(
            _("The new server is already prepared: write to the help desk for any change.")
        )
    if not (wishes.get("os_version") or "").strip():
        raise ValidationError(_("Tell us the operating system and version you want."))
    first = migration.wishes_sent_at is None
    for field in ("os_version", "libraries", "control_panel", "wishes_notes"):
        setattr(migration, field, (wishes.get(field) or "").strip())
    migration.wishes_sent_at = now
    migration.wishes_late = timezone.localdate(now) > migration.wishes_due_on
    migration.state = Migration.State.WISHES_RECEIVED
    migration.save()
    _record(
        AuditEvent.Action.MIGRATION_UPDATED,
        migration,
        "wishes sent" + (" late" if migration.wishes_late else ""),
        request=request,
    )
    context = _mail_context(migration)
    queue_to_client(migration.client, "migration_wishes_received", {**context, "first": first})
    alert_staff("servers_staff_alert", {**context, "kind": "wishes", "client": migration.client})
    return migration


@transaction.atomic
def record_new_server(
    migration: Migration,
    name: str,
    temporary_ip: str,
    now: datetime,
    *,
    request: HttpRequest | None = None,
    actor: User | None = None,
) -> Migration:
    """X+15: the new server is handed over on a temporary IP; the client is told."""
    _check_migration_right(request, actor)
    migration = _locked(migration)
    if migration.state not in {Migration.State.ANNOUNCED, Migration.State.WISHES_RECEIVED}:
        raise ValidationError(_("The new server has already been recorded."))
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the new server's name."))
    try:
        ip = str(ipaddress.ip_address(temporary_ip.strip()))
    except ValueError:
        raise ValidationError(_("%(ip)s is not an IP address.") % {"ip": temporary_ip}) from None
    if ip == migration.server.ip_address:
        raise ValidationError(_("The temporary IP must differ from the server's official IP."))
    migration.new_server_name = name
    migration.temporary_ip = ip
    migration.server_ready_at = now
    migration.state = Migration.State.SERVER_READY
    migration.save()
    _record(
        AuditEvent.Action.MIGRATION_UPDATED,
        migration,
        f"new server {name} on {ip}",
        request=request,
        actor=actor,
    )
    queue_to_client(migration.client, "migration_server_ready", _mail_context(migration))
    return migration


@transaction.atomic
def book_switch(
    migration: Migration,
    switch_at: datetime,
    now: datetime,
    *,
    by_client: bool,
    request: HttpRequest | None = None,
    actor: User | None = None,
) -> Migration:
    """Move the IP switch to another slot; both sides are told."""
    if not by_client:
        _check_migration_right(request, actor)
    migration = _locked(migration)
    if migration.state in {Migration.State.SWITCHED, Migration.State.OLD_OFF, Migration.State.DONE}:
        raise ValidationError(_("The IPs have already been switched."))
    check_switch_slot(
        switch_at,
        opened_on=migration.opened_on,
        old_off_on=migration.old_off_on,
        level=plans.support_level(migration.server),
        settings=ServerSettings.current(),
        earliest=client_booking_earliest(timezone.localdate(now)) if by_client else None,
        server_due_on=migration.server_due_on,
    )
    migration.switch_at = switch_at
    migration.save(update_fields=["switch_at"])
    _record(
        AuditEvent.Action.MIGRATION_UPDATED,
        migration,
        f"switch booked for {timezone.localtime(switch_at):%Y-%m-%d %H:%M}",
        request=request,
        actor=actor,
    )
    context = _mail_context(migration)
    queue_to_client(migration.client, "migration_switch_booked", context)
    alert_staff("servers_staff_alert", {**context, "kind": "booked", "client": migration.client})
    return migration


@transaction.atomic
def record_switch(
    migration: Migration,
    now: datetime,
    *,
    by_client: bool,
    request: HttpRequest | None = None,
    actor: User | None = None,
) -> Migration:
    """The IPs are switched: the new server has the official IP, the old one the temporary
    IP until it is switched off. The client does it on a basic plan, staff on managed and
    global ones."""
    if not by_client:
        _check_migration_right(request, actor)
    migration = _locked(migration)
    if not migration.accepts_switch:
        raise ValidationError(_("The IPs cannot be switched at this stage of the migration."))
    staff_switches = plans.staff_switch(plans.support_level(migration.server))
    if by_client and staff_switches:
        raise ValidationError(_("On your support plan our staff switch the IPs for you."))
    migration.state = Migration.State.SWITCHED
    migration.switched_at = now
    migration.switched_by = actor or getattr(request, "user", None)
    migration.save(update_fields=["state", "switched_at", "switched_by"])
    _record(
        AuditEvent.Action.MIGRATION_UPDATED, migration, "IPs switched", request=request, actor=actor
    )
    context = _mail_context(migration)
    queue_to_client(migration.client, "migration_switched", context)
    if by_client:
        alert_staff(
            "servers_staff_alert", {**context, "kind": "switched", "client": migration.client}
        )
    return migration


# --- Monitoring -------------------------------------------------------------------------------


def interval_choices(settings: ServerSettings | None = None) -> list[int]:
    settings = settings or ServerSettings.current()
    shortest = max(1, settings.monitor_interval_minutes)
    return sorted({shortest, *(m for m in (5, 10, 15, 30, 60) if m > shortest)})


def may_monitor(server: Service) -> bool:
    """Free monitoring comes with the server's support plan (seed 003)."""
    return server.product.type in {
        ProductType.DEDICATED,
        ProductType.VPS,
        ProductType.COLOCATION,
    } and bool(plans.support_level(server))


class MonitorTarget(TypedDict):
    port: int | None
    url: str
    expected_status: int | None


def _check_target(server: Service, kind: str, port: int | None, url: str,
                  expected_status: int | None) -> MonitorTarget:  # fmt: skip
    if kind == Monitor.Kind.TCP:
        if port is None or not 1 <= int(port) <= 65535:
            raise ValidationError(_("Give a port between 1 and 65535."))
        return {"port": int(port), "url": "", "expected_status": None}
    if kind != Monitor.Kind.HTTP:
        raise ValidationError(_("Choose a TCP port or an HTTP(S) address."))
    try:
        parts = urlsplit((url or "").strip())
        # Read here, so a port out of range is refused now rather than by every check.
        parts.port  # noqa: B018
    except ValueError:  # "http://[::1", "http://host:99999/"
        raise ValidationError(_("This is not a valid web address.")) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValidationError(_("Give an address starting with http:// or https://."))
    try:
        literal = str(ipaddress.ip_address(parts.hostname))
    except ValueError:
        literal = None  # a site name: we connect to the server's IP and ask for that site
    if literal and literal != server.ip_address:
        raise ValidationError(
            _("The address must point at this server's IP, %(ip)s.") % {"ip": server.ip_address}
        )
    if not expected_status or not 100 <= int(expected_status) <= 599:
        raise ValidationError(_("The expected status is a number between 100 and 599."))
    return {"port": None, "url": parts.geturl(), "expected_status": int(expected_status)}


@transaction.atomic
def activate_monitor(
    server: Service,
    *,
    kind: str,
    now: datetime,
    port: int | None = None,
    url: str = "",
    expected_status: int | None = None,
    interval_minutes: int | None = None,
    request: HttpRequest | None = None,
    actor: User | None = None,
) -> Monitor:
    server = (
        Service.objects.select_for_update().select_related("product", "client").get(pk=server.pk)
    )
    settings = ServerSettings.current()
    if not may_monitor(server):
        raise ValidationError(_("Monitoring comes with a support plan for this server."))
    if not server.ip_address:
        raise ValidationError(_("This server has no assigned IP address yet."))
    if server.monitors.count() >= settings.monitor_max_per_server:
        raise ValidationError(
            _("A server can have at most %(count)s checks.")
            % {"count": settings.monitor_max_per_server}
        )
    interval = interval_minutes or settings.monitor_interval_minutes
    if interval not in interval_choices(settings):
        raise ValidationError(_("Choose one of the intervals offered."))
    target = _check_target(server, kind, port, url, expected_status)
    monitor = Monitor.objects.create(
        server=server,
        client=server.client,
        kind=kind,
        ip_address=server.ip_address,
        interval_minutes=interval,
        state_since=now,
        # Spread over the first interval, so checks activated together do not run together.
        next_check_at=now + timedelta(seconds=random.uniform(0, 60 * min(interval, 5))),
        **target,
    )
    audit.record(
        AuditEvent.Action.MONITOR_CHANGED,
        request=request,
        actor=actor,
        client=server.client,
        detail=f"{server.name}: watching {monitor.target}",
    )
    return monitor


@transaction.atomic
def pause_monitor(
    monitor: Monitor,
    now: datetime,
    *,
    request: HttpRequest | None = None,
    actor: User | None = None,
) -> None:
    Monitor.objects.filter(pk=monitor.pk).update(
        state=Monitor.State.PAUSED, state_since=now, next_check_at=None, failures=0, successes=0
    )
    audit.record(
        AuditEvent.Action.MONITOR_CHANGED,
        request=request,
        actor=actor,
        client=monitor.client,
        detail=f"paused {monitor.target}",
    )


@transaction.atomic
def resume_monitor(
    monitor: Monitor,
    now: datetime,
    *,
    request: HttpRequest | None = None,
    actor: User | None = None,
) -> None:
    Monitor.objects.filter(pk=monitor.pk, state=Monitor.State.PAUSED).update(
        state=Monitor.State.PENDING, state_since=now, next_check_at=now, claim=""
    )
    audit.record(
        AuditEvent.Action.MONITOR_CHANGED,
        request=request,
        actor=actor,
        client=monitor.client,
        detail=f"resumed {monitor.target}",
    )


@transaction.atomic
def remove_monitor(
    monitor: Monitor, *, request: HttpRequest | None = None, actor: User | None = None
) -> None:
    target, client = monitor.target, monitor.client
    monitor.delete()
    audit.record(
        AuditEvent.Action.MONITOR_CHANGED,
        request=request,
        actor=actor,
        client=client,
        detail=f"removed {target}",
    )
