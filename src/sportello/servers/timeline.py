"""The migration timeline of seed 003: its dates, the rules of the IP-switch slot, and the
steps as the client and the staff see them."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sportello.core.calendar import is_working_day, next_working_day, same_or_next_working_day

from .models import Migration, ServerSettings


def plan_dates(opened_on: date, settings: ServerSettings) -> dict:
    """Day X plus the settings' calendar days; with `steps_on_working_days`, a day the
    office is closed moves to the next working day, and no step moves before the one
    it follows."""
    offsets = {
        "wishes_due_on": settings.wishes_due_days,
        "server_due_on": settings.server_due_days,
        "migrate_until": settings.migrate_until_days,
        "old_off_on": settings.old_off_days,
        "old_deleted_on": settings.old_deleted_days,
    }
    dates: dict[str, date] = {}
    previous = opened_on
    for key, offset in offsets.items():
        day = opened_on + timedelta(days=offset)
        if settings.steps_on_working_days:
            day = same_or_next_working_day(max(day, previous))
        dates[key] = previous = day
    return dates


def _day(value: date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def check_switch_slot(
    when: datetime,
    *,
    opened_on: date,
    old_off_on: date,
    level: str,
    settings: ServerSettings,
    earliest: date | None = None,
    server_due_on: date | None = None,
) -> None:
    """Refuse a switch slot outside the rules, saying why: at least `notice_days` after
    day X, after the day the new server is due (the data migration comes first), before
    the old server is switched off, on a working day in office hours — except for global
    plans, which may agree night or holiday work (seed 003)."""
    from .plans import soft_hours_allowed

    local = timezone.localtime(when)
    first = opened_on + timedelta(days=settings.notice_days)
    if local.date() < first:
        raise ValidationError(
            _(
                "The switch must be at least %(days)s days after the notice of %(opened)s: "
                "the earliest date is %(first)s."
            )
            % {"days": settings.notice_days, "opened": _day(opened_on), "first": _day(first)}
        )
    if server_due_on is not None and local.date() <= server_due_on:
        raise ValidationError(
            _(
                "The switch comes after the data migration: the new server is due on "
                "%(day)s, so the earliest date is %(first)s."
            )
            % {"day": _day(server_due_on), "first": _day(server_due_on + timedelta(days=1))}
        )
    if local.date() >= old_off_on:
        raise ValidationError(
            _("The switch must happen before the old server is switched off on %(day)s.")
            % {"day": _day(old_off_on)}
        )
    if earliest and local.date() < earliest:
        raise ValidationError(
            _("Book the switch with some notice: the earliest date is %(day)s.")
            % {"day": _day(earliest)}
        )
    if soft_hours_allowed(level):
        return
    if not is_working_day(local.date()):
        raise ValidationError(
            _("%(day)s is not a working day: the switch is done on working days.")
            % {"day": _day(local.date())}
        )
    if not settings.office_opens <= local.time() < settings.office_closes:
        raise ValidationError(
            _("The switch is done in office hours, from %(opens)s to %(closes)s.")
            % {
                "opens": settings.office_opens.strftime("%H:%M"),
                "closes": settings.office_closes.strftime("%H:%M"),
            }
        )


@dataclass
class SwitchWindow:
    """What the switch-slot form states and the action enforces for one migration."""

    earliest: date
    latest: date
    office_hours: bool


def switch_window(
    migration: Migration, level: str, today: date, *, by_client: bool, settings: ServerSettings
) -> SwitchWindow:
    from .plans import soft_hours_allowed

    earliest = max(
        migration.opened_on + timedelta(days=settings.notice_days),
        migration.server_due_on + timedelta(days=1),
    )
    if by_client:
        earliest = max(earliest, client_booking_earliest(today))
    office_hours = not soft_hours_allowed(level)
    if office_hours:
        earliest = same_or_next_working_day(earliest)
    return SwitchWindow(earliest, migration.old_off_on - timedelta(days=1), office_hours)


def client_booking_earliest(today: date) -> date:
    """A client moving the switch gives at least one working day's notice, so staff in the
    farm are at hand (seed 003)."""
    return next_working_day(today)


@dataclass
class Step:
    key: str
    title: str
    day: date
    who: str
    status: str  # done, current, late, upcoming
    detail: str = ""
    at: datetime | None = None

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


STATUS_LABELS = {
    "done": gettext_lazy("Done"),
    "current": gettext_lazy("In progress"),
    "late": gettext_lazy("Late"),
    "upcoming": gettext_lazy("To come"),
}

ORDER = [state.value for state in Migration.State]


def _reached(migration: Migration, state: str) -> bool:
    return ORDER.index(migration.state) >= ORDER.index(state)


def steps(migration: Migration, today: date, *, staff_switches: bool) -> list[Step]:
    m, S = migration, Migration.State
    client, staff = _("Client"), _("Our staff")

    def status(done: bool, due: date, started: bool = True) -> str:
        if done:
            return "done"
        if today > due:
            return "late"
        return "current" if started else "upcoming"

    wishes_done = m.wishes_sent_at is not None or _reached(m, S.SERVER_READY)
    wishes_detail = ""
    if m.wishes_sent_at:
        wishes_detail = (
            _("Sent late, on %(day)s.") if m.wishes_late else _("Sent on %(day)s.")
        ) % {"day": _day(timezone.localdate(m.wishes_sent_at))}
    elif wishes_done:
        wishes_detail = _("Not sent: the new server has the current configuration.")
    server_detail = ""
    if m.server_ready_at:
        server_detail = _("%(name)s on the temporary IP %(ip)s") % {
            "name": m.new_server_name,
            "ip": m.temporary_ip,
        }
    switched = _reached(m, S.SWITCHED)
    switch_day = timezone.localdate(m.switched_at or m.switch_at)
    result = [
        Step("announced", _("Migration announced"), m.opened_on, staff, "done"),
        Step(
            "wishes",
            _("Configuration wishes: operating system, libraries, control panel"),
            m.wishes_due_on,
            client,
            status(wishes_done, m.wishes_due_on),
            wishes_detail,
        ),
        Step(
            "server",
            _("New server ready on a temporary IP"),
            m.server_due_on,
            staff,
            status(m.server_ready_at is not None, m.server_due_on, wishes_done),
            server_detail,
        ),
        Step(
            "migrate",
            _("Installation, customisation and data migration"),
            # The switch needs the data on the new server: an earlier switch ends it.
            min(m.migrate_until, switch_day),
            client,
            "done"
            if _reached(m, S.SWITCH_DUE)
            else ("current" if m.state == S.SERVER_READY else "upcoming"),
        ),
        Step(
            "switch",
            _("IP switch: the new server takes the official IP"),
            switch_day,
            staff if staff_switches else client,
            "done"
            if switched
            else (
                "late"
                if today > timezone.localdate(m.switch_at)
                else ("current" if m.accepts_switch else "upcoming")
            ),
            _("Booked for %(when)s.")
            % {"when": formats.date_format(timezone.localtime(m.switch_at), "DATETIME_FORMAT")}
            if not switched
            else "",
            m.switched_at,
        ),
        Step(
            "old_off",
            _("Old server switched off (kept on the temporary IP until then)"),
            m.old_off_on,
            staff,
            "done" if _reached(m, S.OLD_OFF) else ("current" if switched else "upcoming"),
        ),
        Step(
            "deleted",
            _("Old server deleted"),
            m.old_deleted_on,
            staff,
            "done"
            if _reached(m, S.DONE)
            else ("current" if _reached(m, S.OLD_OFF) else "upcoming"),
        ),
    ]
    # In date order; on the same day a step stays after the one it depends on.
    return sorted(result, key=lambda step: step.day)
