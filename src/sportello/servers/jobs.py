"""Daily jobs of dedicated servers: the migration timeline moves by date (SRV-12), and
monitoring history is kept bounded (SRV-11)."""

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sportello.automation.labels import COUNT_LABELS, JOB_LABELS
from sportello.automation.registry import Counts, job
from sportello.mail.actions import queue_to_client

from .actions import _mail_context
from .models import (
    CheckResult,
    Migration,
    MigrationNotice,
    MonitorDay,
    MonitorEvent,
    ServerSettings,
)
from .notify import alert_staff

JOB_LABELS.update(
    {
        "server_migrations": _("Server migrations"),
        "monitoring_history": _("Monitoring history"),
    }
)
COUNT_LABELS.update(
    {
        "reminders": _("reminders"),
        "overdue": _("overdue"),
        "window_closed": _("migration periods over"),
        "switched_off": _("old servers switched off"),
        "completed": _("migrations completed"),
        "checks": _("checks"),
        "summaries": _("daily summaries"),
    }
)

S = Migration.State

# Tells the client or staff about one migration.
Sender = Callable[[Migration], None]


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _once(migration: Migration, kind: str, send: Sender) -> bool:
    """Send once per migration and kind: the unique claim stops a second run."""
    try:
        with transaction.atomic():
            MigrationNotice.objects.create(migration=migration, kind=kind)
            send(migration)
            return True
    except IntegrityError:
        return False


def _client_mail(template: str, **extra: Any) -> Sender:
    def send(migration: Migration) -> None:
        queue_to_client(migration.client, template, {**_mail_context(migration), **extra})

    return send


def _staff_mail(kind: str) -> Sender:
    def send(migration: Migration) -> None:
        alert_staff(
            "servers_staff_alert",
            {**_mail_context(migration), "kind": kind, "client": migration.client},
        )

    return send


def _both(*senders: Sender) -> Sender:
    def send(migration: Migration) -> None:
        for sender in senders:
            sender(migration)

    return send


def _switch_reminder_key(days: int) -> Callable[[Migration], str]:
    # Keyed by the booked day, so a switch moved to another day is reminded again.
    return lambda m: f"switch_reminder_{timezone.localdate(m.switch_at)}_{days}"


def _advance(
    queryset: QuerySet[Migration], old: str, new: str, template: str, dry_run: bool
) -> int:
    """Move migrations from `old` to `new` by compare-and-swap: only the run that moves one
    tells the client."""
    moved = 0
    for migration in queryset.filter(state=old).select_related("server", "client__owner"):
        if dry_run:
            moved += 1
            continue
        with transaction.atomic():
            if Migration.objects.filter(pk=migration.pk, state=old).update(state=new):
                migration.state = new
                queue_to_client(migration.client, template, _mail_context(migration))
                moved += 1
    return moved


def _each(queryset: QuerySet[Migration], kind: str | Callable[[Migration], str], send: Sender,
          dry_run: bool) -> int:  # fmt: skip
    sent = 0
    for migration in queryset.select_related("server", "client__owner"):
        key = kind(migration) if callable(kind) else kind
        if dry_run:
            sent += not MigrationNotice.objects.filter(migration=migration, kind=key).exists()
        else:
            sent += _once(migration, key, send)
    return sent


@job("server_migrations")
def server_migrations(now: datetime, dry_run: bool = False) -> Counts:
    """The timeline of seed 003, as of `now`: reminders before each deadline, notices when
    one passes, and the old server switched off (X+29) and deleted (X+31)."""
    settings = ServerSettings.current()
    today = timezone.localdate(now)
    reminders = overdue = 0
    migrations = Migration.objects.all()
    preparing = migrations.filter(state__in=[S.ANNOUNCED, S.WISHES_RECEIVED])
    switching = migrations.filter(state__in=[S.SERVER_READY, S.SWITCH_DUE])

    for days in settings.wishes_reminders:
        reminders += _each(
            migrations.filter(state=S.ANNOUNCED, wishes_due_on=today + timedelta(days=days)),
            f"wishes_reminder_{days}",
            _client_mail("migration_wishes_reminder", days=days),
            dry_run,
        )
    overdue += _each(
        migrations.filter(state=S.ANNOUNCED, wishes_due_on__lt=today),
        "wishes_overdue",
        _both(_client_mail("migration_wishes_overdue"), _staff_mail("wishes_overdue")),
        dry_run,
    )
    for days in settings.server_reminders:
        reminders += _each(
            preparing.filter(server_due_on=today + timedelta(days=days)),
            f"server_reminder_{days}",
            _staff_mail("server_due"),
            dry_run,
        )
    overdue += _each(
        preparing.filter(server_due_on__lt=today),
        "server_overdue",
        _staff_mail("server_overdue"),
        dry_run,
    )
    window_closed = _advance(
        migrations.filter(migrate_until__lte=today),
        S.SERVER_READY,
        S.SWITCH_DUE,
        "migration_window_closed",
        dry_run,
    )
    for days in settings.switch_reminders:
        day = today + timedelta(days=days)
        reminders += _each(
            switching.filter(
                switch_at__gte=_start_of(day), switch_at__lt=_start_of(day + timedelta(days=1))
            ),
            _switch_reminder_key(days),
            _both(
                _client_mail("migration_switch_reminder", days=days), _staff_mail("switch_reminder")
            ),
            dry_run,
        )
    overdue += _each(
        switching.filter(switch_at__lt=_start_of(today)),
        lambda m: f"switch_overdue_{timezone.localdate(m.switch_at)}",
        _both(_client_mail("migration_switch_overdue"), _staff_mail("switch_overdue")),
        dry_run,
    )
    # An old server still holding the official IP is never switched off by the calendar:
    # it waits for the switch, and staff have been told it is overdue.
    switched_off = _advance(
        migrations.filter(old_off_on__lte=today),
        S.SWITCHED,
        S.OLD_OFF,
        "migration_old_server_off",
        dry_run,
    )
    completed = _advance(
        migrations.filter(old_deleted_on__lte=today),
        S.OLD_OFF,
        S.DONE,
        "migration_completed",
        dry_run,
    )
    return {
        "reminders": reminders,
        "overdue": overdue,
        "window_closed": window_closed,
        "switched_off": switched_off,
        "completed": completed,
    }


@job("monitoring_history")
def monitoring_history(now: datetime, dry_run: bool = False) -> Counts:
    """Each check is kept a few days (the chart, the latest checks); daily summaries and
    state changes longer (uptime over 30 days, the history)."""
    settings = ServerSettings.current()
    today = timezone.localdate(now)
    raw = CheckResult.objects.filter(
        at__lt=_start_of(today - timedelta(days=settings.monitor_raw_days))
    )
    summary_cutoff = today - timedelta(days=settings.monitor_summary_days)
    days = MonitorDay.objects.filter(day__lt=summary_cutoff)
    events = MonitorEvent.objects.filter(at__lt=_start_of(summary_cutoff))
    if dry_run:
        return {"checks": raw.count(), "summaries": days.count()}
    events.delete()
    return {"checks": raw.delete()[0], "summaries": days.delete()[0]}
