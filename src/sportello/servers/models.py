from datetime import time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sportello.core.models import SettingsRow


def _day_list(text: str) -> list[int]:
    return sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True)


class ServerSettings(SettingsRow):
    """Migration timeline and monitoring settings (seed 003): one row, edited in the admin."""

    notice_days = models.PositiveSmallIntegerField(
        _("migration: minimum days between the notice and the switch"), default=15
    )
    wishes_due_days = models.PositiveSmallIntegerField(
        _("migration: the client sends their wishes by day X +"), default=10
    )
    server_due_days = models.PositiveSmallIntegerField(
        _("migration: new server on a temporary IP by day X +"), default=15
    )
    migrate_until_days = models.PositiveSmallIntegerField(
        _("migration: the client migrates until day X +"), default=22
    )
    old_off_days = models.PositiveSmallIntegerField(
        _("migration: old server switched off on day X +"), default=29
    )
    old_deleted_days = models.PositiveSmallIntegerField(
        _("migration: old server deleted on day X +"), default=31
    )
    steps_on_working_days = models.BooleanField(
        _("migration: a dated step on a weekend or holiday moves to the next working day"),
        default=True,
        help_text=_(
            "The days above are calendar days; with this on, a deadline or a switch-off that "
            "falls on a day the office is closed moves to the next working day."
        ),
    )
    wishes_reminder_days = models.CharField(
        _("migration: remind the client of their wishes, days before the deadline"),
        max_length=40,
        default="3,1",
        help_text=_("Comma-separated."),
    )
    server_reminder_days = models.CharField(
        _("migration: remind staff of the new server, days before the deadline"),
        max_length=40,
        default="2",
        help_text=_("Comma-separated."),
    )
    switch_reminder_days = models.CharField(
        _("migration: remind both sides of the IP switch, days before"),
        max_length=40,
        default="2,1",
        help_text=_("Comma-separated."),
    )
    office_opens = models.TimeField(_("IP switch: office opens"), default=time(9, 0))
    office_closes = models.TimeField(_("IP switch: office closes"), default=time(17, 30))
    monitor_interval_minutes = models.PositiveSmallIntegerField(
        _("monitoring: minutes between checks"), default=5
    )
    monitor_failures_down = models.PositiveSmallIntegerField(
        _("monitoring: failed checks in a row before a service is down"), default=3
    )
    monitor_successes_up = models.PositiveSmallIntegerField(
        _("monitoring: good checks in a row before a service is back up"), default=2
    )
    monitor_timeout_seconds = models.PositiveSmallIntegerField(
        _("monitoring: timeout of a check (seconds)"), default=5
    )
    monitor_max_per_server = models.PositiveSmallIntegerField(
        _("monitoring: checks per server at most"), default=5
    )
    monitor_raw_days = models.PositiveSmallIntegerField(
        _("monitoring: keep every check this many days"), default=2
    )
    monitor_summary_days = models.PositiveSmallIntegerField(
        _("monitoring: keep daily summaries this many days"), default=400
    )
    alert_department = models.ForeignKey(
        "helpdesk.Department",
        verbose_name=_("staff alerts go to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: the Helpdesk department."),
    )

    class Meta:
        verbose_name = _("server settings")
        verbose_name_plural = _("server settings")

    def __str__(self):
        return str(_("Server settings"))

    @property
    def wishes_reminders(self) -> list[int]:
        return _day_list(self.wishes_reminder_days)

    @property
    def server_reminders(self) -> list[int]:
        return _day_list(self.server_reminder_days)

    @property
    def switch_reminders(self) -> list[int]:
        return _day_list(self.switch_reminder_days)


class Migration(models.Model):
    """A planned migration of a dedicated server to new hardware (SRV-12, seed 003).

    The dates are computed once, when the client is told (day X), and stay as announced."""

    class State(models.TextChoices):
        ANNOUNCED = "announced", _("Waiting for the configuration wishes")
        WISHES_RECEIVED = "wishes_received", _("Preparing the new server")
        SERVER_READY = "server_ready", _("New server ready: migration in progress")
        SWITCH_DUE = "switch_due", _("Migration period over: IP switch due")
        SWITCHED = "switched", _("IPs switched: old server on the temporary IP")
        OLD_OFF = "old_off", _("Old server switched off")
        DONE = "done", _("Completed: old server deleted")

    OPEN_STATES = [
        State.ANNOUNCED,
        State.WISHES_RECEIVED,
        State.SERVER_READY,
        State.SWITCH_DUE,
        State.SWITCHED,
        State.OLD_OFF,
    ]

    server = models.ForeignKey(
        "services.Service",
        verbose_name=_("server"),
        on_delete=models.PROTECT,
        related_name="migrations",
    )
    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="server_migrations",
    )
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.ANNOUNCED, db_index=True
    )
    opened_on = models.DateField(_("announced on (day X)"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("announced by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    wishes_due_on = models.DateField(_("wishes due by"))
    server_due_on = models.DateField(_("new server due by"))
    migrate_until = models.DateField(_("migration until"))
    old_off_on = models.DateField(_("old server switched off on"))
    old_deleted_on = models.DateField(_("old server deleted on"))
    switch_at = models.DateTimeField(_("IP switch booked for"))

    os_version = models.CharField(_("operating system and version"), max_length=120, blank=True)
    libraries = models.TextField(_("libraries and packages"), blank=True)
    control_panel = models.CharField(_("control panel"), max_length=120, blank=True)
    wishes_notes = models.TextField(_("other wishes"), blank=True)
    wishes_sent_at = models.DateTimeField(_("wishes sent"), null=True, blank=True)
    wishes_late = models.BooleanField(_("wishes sent late"), default=False)

    new_server_name = models.CharField(_("new server"), max_length=120, blank=True)
    temporary_ip = models.GenericIPAddressField(_("temporary IP"), null=True, blank=True)
    server_ready_at = models.DateTimeField(_("new server handed over"), null=True, blank=True)
    switched_at = models.DateTimeField(_("IPs switched"), null=True, blank=True)
    switched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("switched by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("server migration")
        verbose_name_plural = _("server migrations")
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["server"], condition=~Q(state="done"), name="one_open_migration_per_server"
            )
        ]

    def __str__(self):
        return f"{self.server.name} ({self.opened_on})"

    @property
    def is_open(self) -> bool:
        return self.state != self.State.DONE

    @property
    def accepts_wishes(self) -> bool:
        return self.state in {self.State.ANNOUNCED, self.State.WISHES_RECEIVED}

    @property
    def accepts_switch(self) -> bool:
        return self.state in {self.State.SERVER_READY, self.State.SWITCH_DUE}


class MigrationNotice(models.Model):
    """A reminder or alert sent for a migration: unique per kind, so a job run again (or on
    another machine) never sends it twice."""

    migration = models.ForeignKey(Migration, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=60)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["migration", "kind"], name="one_migration_notice")
        ]


class MonitorQuerySet(models.QuerySet):
    def due(self, until):
        """Checks due by `until` on servers still running (a suspended or ended server is
        not watched)."""
        return self.filter(next_check_at__lte=until, server__status__in=["active", "pending"])


class Monitor(models.Model):
    """Free monitoring of an assigned IP (SRV-11): a TCP port or an HTTP(S) URL."""

    class Kind(models.TextChoices):
        TCP = "tcp", _("TCP port")
        HTTP = "http", _("HTTP(S) address")

    class State(models.TextChoices):
        PENDING = "pending", _("Not checked yet")
        UP = "up", _("Up")
        DOWN = "down", _("Down")
        PAUSED = "paused", _("Paused")

    server = models.ForeignKey(
        "services.Service",
        verbose_name=_("server"),
        on_delete=models.CASCADE,
        related_name="monitors",
    )
    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="monitors",
    )
    kind = models.CharField(_("what to check"), max_length=4, choices=Kind.choices)
    ip_address = models.GenericIPAddressField(_("IP address"))
    port = models.PositiveIntegerField(_("port"), null=True, blank=True)
    url = models.URLField(_("address"), max_length=500, blank=True)
    expected_status = models.PositiveSmallIntegerField(
        _("expected HTTP status"), null=True, blank=True
    )
    interval_minutes = models.PositiveSmallIntegerField(_("every (minutes)"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.PENDING)
    state_since = models.DateTimeField(_("in this state since"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(_("failed checks in a row"), default=0)
    successes = models.PositiveSmallIntegerField(_("good checks in a row"), default=0)
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True)
    # The claim of the worker checking it now: set together with a compare-and-swap on
    # next_check_at, so two workers never run the same check.
    claim = models.CharField(max_length=32, blank=True, db_index=True)
    last_checked_at = models.DateTimeField(_("last check"), null=True, blank=True)
    last_ok = models.BooleanField(_("last check good"), null=True)
    last_response_ms = models.PositiveIntegerField(_("last response (ms)"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("activated"), auto_now_add=True)

    objects = MonitorQuerySet.as_manager()

    class Meta:
        verbose_name = _("monitor")
        verbose_name_plural = _("monitors")
        ordering = ["id"]
        indexes = [models.Index(fields=["next_check_at"], name="monitor_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="tcp", port__isnull=False) | Q(kind="http", expected_status__gt=0),
                name="monitor_has_target",
            )
        ]

    def __str__(self):
        return self.target

    @property
    def target(self) -> str:
        if self.kind == self.Kind.TCP:
            host = f"[{self.ip_address}]" if ":" in self.ip_address else self.ip_address
            return f"{host}:{self.port}"
        return self.url


class CheckResult(models.Model):
    """One check, kept a few days (the chart and the latest history); older ones live on
    in the daily summaries."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results")
    at = models.DateTimeField()
    ok = models.BooleanField()
    response_ms = models.PositiveIntegerField(null=True)
    # How late the check ran after its due time: the workers' lag.
    lag_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=120, blank=True)

    class Meta:
        indexes = [models.Index(fields=["monitor", "at"], name="check_by_monitor")]
        ordering = ["-at"]


class MonitorDay(models.Model):
    """One monitor's checks of one day, summed: uptime over 30 days reads these."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    checks = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    total_ms = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["monitor", "day"], name="one_summary_per_day")
        ]


class MonitorEvent(models.Model):
    """A state change (down or back up): the monitor's history."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=Monitor.State.choices)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
