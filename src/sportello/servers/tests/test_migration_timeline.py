"""The planned migration of a dedicated server, day by day (SRV-12, seed 003).

Day X is Monday 2 March 2026: wishes due X+10 (12 March), new server X+15 (17 March),
migration until X+22 (24 March), old server off X+29 (31 March), deleted X+31 (2 April).
Each day's jobs run as `sportello runjobs --date` would, with time pinned to that day."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone, translation

from sportello.core.models import AuditEvent
from sportello.servers import actions
from sportello.servers.models import Migration, MigrationNotice

from .conftest import mails, make_server

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
X = date(2026, 3, 2)


def at(day_offset: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(X + timedelta(days=day_offset), datetime.min.time()).replace(
        hour=hour, minute=minute, tzinfo=ROME
    )


def run_day(day_offset: int) -> None:
    """The day's scheduled run, as the command does it, at the run hour."""
    with time_machine.travel(at(day_offset, 6), tick=False):
        call_command(
            "runjobs", date=(X + timedelta(days=day_offset)).isoformat(), stdout=StringIO()
        )


def open_on_x(server, switch_offset=22, hour=10):
    with time_machine.travel(at(0, 9), tick=False):
        return actions.open_migration(server, at(switch_offset, hour), timezone.now())


def templates_to(address: str) -> list[str]:
    return [email.template for email in mails(to=address)]


def state(migration) -> str:
    migration.refresh_from_db()
    return migration.state


def test_a_switch_less_than_15_days_ahead_is_refused_with_the_reason(owner):
    server = make_server(owner)
    with time_machine.travel(at(0, 9), tick=False), pytest.raises(ValidationError) as error:
        actions.open_migration(server, at(14), timezone.now())
    assert "15" in error.value.messages[0]
    assert Migration.objects.count() == 0 and mails() == []


def test_the_switch_is_on_a_working_day_in_office_hours_except_on_global_plans(owner, other_client):
    server = make_server(owner)
    with time_machine.travel(at(0, 9), tick=False):
        for refused in [at(19), at(22, 8), at(22, 17, 30), at(29)]:  # Saturday, early, late, X+29
            with pytest.raises(ValidationError):
                actions.open_migration(server, refused, timezone.now())
        # Global clients may agree night or holiday work (seed 003).
        global_server = make_server(other_client, "global", name="srv9.example.org")
        migration = actions.open_migration(global_server, at(19, 22), timezone.now())
    assert migration.switch_at == at(19, 22)


def test_the_whole_timeline_on_a_basic_plan(owner, helpdesk_staff):
    server = make_server(owner, "basic")
    migration = open_on_x(server)
    assert (
        migration.wishes_due_on,
        migration.server_due_on,
        migration.migrate_until,
        migration.old_off_on,
        migration.old_deleted_on,
    ) == (
        date(2026, 3, 12),
        date(2026, 3, 17),
        date(2026, 3, 24),
        date(2026, 3, 31),
        date(2026, 4, 2),
    )
    assert templates_to(owner.contact_email) == ["migration_planned"]
    planned = mails("migration_planned")[0]
    assert "backup" in planned.body_text.lower() or "copia" in planned.body_text.lower()
    assert AuditEvent.objects.filter(action="migration_opened", client=owner).exists()

    for day in range(1, 5):
        run_day(day)
    assert templates_to(owner.contact_email) == ["migration_planned"]

    with time_machine.travel(at(5, 11), tick=False):
        actions.send_wishes(
            migration,
            {"os_version": "Debian 12", "libraries": "PHP 8.3", "control_panel": "Plesk"},
            timezone.now(),
        )
    assert state(migration) == Migration.State.WISHES_RECEIVED and not migration.wishes_late
    assert templates_to(helpdesk_staff.email) == ["servers_staff_alert"]
    assert mails(to="sales@sportello.example") == []

    for day in range(5, 14):
        run_day(day)
    # No wishes reminders once they are in; staff reminded of the new server at X+13.
    assert "migration_wishes_reminder" not in templates_to(owner.contact_email)
    assert MigrationNotice.objects.filter(kind="server_reminder_2").count() == 1
    assert len(mails(to=helpdesk_staff.email)) == 2

    with time_machine.travel(at(14, 15), tick=False):
        actions.record_new_server(migration, "srv1-new.example.org", "198.51.100.7", timezone.now())
    ready = mails("migration_server_ready")[0]
    assert "198.51.100.7" in ready.body_text

    for day in range(14, 22):
        run_day(day)
    # Both sides reminded two days and one day before the switch (X+20, X+21).
    assert templates_to(owner.contact_email).count("migration_switch_reminder") == 2
    assert MigrationNotice.objects.filter(kind__startswith="switch_reminder").count() == 2
    assert state(migration) == Migration.State.SERVER_READY

    run_day(22)
    assert state(migration) == Migration.State.SWITCH_DUE
    assert templates_to(owner.contact_email)[-1] == "migration_window_closed"

    # On a basic plan the client switches the IPs and records it.
    with time_machine.travel(at(22, 10, 30), tick=False):
        actions.record_switch(migration, timezone.now(), by_client=True)
    assert state(migration) == Migration.State.SWITCHED
    assert "198.51.100.7" in mails("migration_switched")[0].body_text

    for day in range(23, 29):
        run_day(day)
    assert state(migration) == Migration.State.SWITCHED
    run_day(29)
    assert state(migration) == Migration.State.OLD_OFF
    run_day(30)
    assert state(migration) == Migration.State.OLD_OFF
    run_day(31)
    assert state(migration) == Migration.State.DONE

    assert templates_to(owner.contact_email) == [
        "migration_planned",
        "migration_wishes_received",
        "migration_server_ready",
        "migration_switch_reminder",
        "migration_switch_reminder",
        "migration_window_closed",
        "migration_switched",
        "migration_old_server_off",
        "migration_completed",
    ]
    # Running any day again changes nothing and sends nothing.
    before = len(mails())
    for day in (13, 20, 22, 29, 31):
        run_day(day)
    assert len(mails()) == before


def test_a_late_form_is_taken_and_flagged_and_staff_hear_of_it(owner, helpdesk_staff):
    server = make_server(owner, "basic")
    migration = open_on_x(server)
    for day in range(1, 12):
        run_day(day)
    client_mails = templates_to(owner.contact_email)
    # Reminders three days and one day before the deadline, then the overdue notice (X+11).
    assert client_mails == [
        "migration_planned",
        "migration_wishes_reminder",
        "migration_wishes_reminder",
        "migration_wishes_overdue",
    ]
    reminders = mails("migration_wishes_reminder")
    assert [timezone.localdate(email.created_at) for email in reminders] == [
        date(2026, 3, 9),
        date(2026, 3, 11),
    ]
    # Staff read the alert in their own language (English), the client in Italian.
    staff_alert = mails(to=helpdesk_staff.email)[-1]
    assert staff_alert.language == "en" and "late" in staff_alert.subject
    assert mails("migration_wishes_overdue")[0].language == "it"

    with time_machine.travel(at(12, 16), tick=False):
        actions.send_wishes(migration, {"os_version": "AlmaLinux 9"}, timezone.now())
    migration.refresh_from_db()
    assert migration.wishes_late and migration.state == Migration.State.WISHES_RECEIVED
    late_alert = mails(to=helpdesk_staff.email)[-1]
    assert "after the deadline" in late_alert.body_text and "AlmaLinux 9" in late_alert.body_text

    from sportello.servers.timeline import steps

    wishes = next(
        s for s in steps(migration, date(2026, 3, 14), staff_switches=False) if s.key == "wishes"
    )
    assert wishes.status == "done" and wishes.detail

    # Staff are late with the new server too: alerted the day after its deadline, once.
    run_day(16)
    run_day(16)
    assert MigrationNotice.objects.filter(kind="server_overdue").count() == 1
    with time_machine.travel(at(16, 11), tick=False):
        actions.record_new_server(migration, "srv1-new", "198.51.100.7", timezone.now())
        with pytest.raises(ValidationError):
            actions.send_wishes(migration, {"os_version": "Debian 12"}, timezone.now())


def test_on_a_managed_plan_staff_switch_and_an_unrecorded_switch_keeps_the_old_server_on(
    owner, helpdesk_staff
):
    server = make_server(owner, "managed")
    migration = open_on_x(server, switch_offset=23)
    with time_machine.travel(at(15, 10), tick=False):
        actions.record_new_server(migration, "srv1-new", "198.51.100.7", timezone.now())
        with pytest.raises(ValidationError):
            actions.record_switch(migration, timezone.now(), by_client=True)
    for day in range(15, 30):
        run_day(day)
    # The switch booked for X+23 was never recorded: both sides told on X+24, once; on X+29
    # the old server, still holding the official IP, is not switched off.
    assert MigrationNotice.objects.filter(kind="switch_overdue_2026-03-25").count() == 1
    assert "migration_switch_overdue" in templates_to(owner.contact_email)
    assert state(migration) == Migration.State.SWITCH_DUE
    assert mails("migration_old_server_off") == []

    with time_machine.travel(at(30, 10), tick=False):
        actions.record_switch(migration, timezone.now(), by_client=False, actor=helpdesk_staff)
    run_day(30)
    assert state(migration) == Migration.State.OLD_OFF
    run_day(31)
    assert state(migration) == Migration.State.DONE


def test_the_client_moves_the_switch_with_a_working_days_notice(owner, helpdesk_staff):
    server = make_server(owner, "basic")
    migration = open_on_x(server)
    with time_machine.travel(at(17, 12), tick=False):  # Thursday 19 March
        now = timezone.now()
        actions.record_new_server(migration, "srv1-new", "198.51.100.7", now)
        with pytest.raises(ValidationError):  # tomorrow is fine, today is not
            actions.book_switch(migration, at(17, 15), now, by_client=True)
        actions.book_switch(migration, at(18, 9, 30), now, by_client=True)
    assert mails("migration_switch_booked")
    assert "servers_staff_alert" in templates_to(helpdesk_staff.email)
    run_day(17)
    # One day before the new date: reminded again, keyed by the new day.
    assert MigrationNotice.objects.filter(kind="switch_reminder_2026-03-20_1").exists()


def test_one_migration_at_a_time_and_only_for_dedicated_servers(owner):
    server = make_server(owner)
    open_on_x(server)
    with pytest.raises(ValidationError):
        open_on_x(server)
    from sportello.catalog.models import ProductType
    from sportello.testing import make_product, make_service

    vps = make_service(owner, make_product("vps", ProductType.VPS), ip_address="192.0.2.50")
    with pytest.raises(ValidationError):
        open_on_x(vps)


def test_dry_run_changes_nothing(owner):
    server = make_server(owner)
    migration = open_on_x(server)
    with time_machine.travel(at(11, 6), tick=False):
        call_command("runjobs", date="2026-03-13", dry_run=True, stdout=StringIO())
    assert MigrationNotice.objects.count() == 0 and state(migration) == Migration.State.ANNOUNCED


def test_dated_steps_move_off_weekends_and_holidays_unless_the_setting_is_off(owner):
    """Day X on Friday 10 April 2026: X+10 is Monday 20 April (kept); X+15 is Saturday
    25 April, Liberation Day, → Monday 27 April; X+22 Saturday 2 May → Monday 4 May;
    X+29 Saturday 9 May → Monday 11 May; X+31 Monday 11 May stays after it."""
    from sportello.servers.models import ServerSettings
    from sportello.servers.timeline import plan_dates

    settings = ServerSettings.current()
    dates = plan_dates(date(2026, 4, 10), settings)
    assert dates == {
        "wishes_due_on": date(2026, 4, 20),
        "server_due_on": date(2026, 4, 27),
        "migrate_until": date(2026, 5, 4),
        "old_off_on": date(2026, 5, 11),
        "old_deleted_on": date(2026, 5, 11),
    }
    settings.steps_on_working_days = False
    assert plan_dates(date(2026, 4, 10), settings)["server_due_on"] == date(2026, 4, 25)


def test_the_timeline_is_in_date_order_with_the_switch_after_the_data_migration(owner):
    server = make_server(owner, "basic")
    migration = open_on_x(server, switch_offset=17)  # Thursday 19 March, before X+22
    keys = [step.key for step in actions_steps(migration)]
    assert keys.index("migrate") < keys.index("switch")
    days = [step.day for step in actions_steps(migration)]
    assert days == sorted(days)
    migrate = next(step for step in actions_steps(migration) if step.key == "migrate")
    assert migrate.day == date(2026, 3, 19)  # the migration ends with the switch


def actions_steps(migration):
    from sportello.servers.timeline import steps

    return steps(migration, X, staff_switches=False)


def test_the_switch_slot_form_states_and_enforces_the_plan(client, owner, other_client):
    from django.urls import reverse

    server = make_server(owner, "basic")
    migration = open_on_x(server)
    with pytest.raises(ValidationError, match="after the data migration"):
        with time_machine.travel(at(1, 9), tick=False), translation.override("en"):
            actions.book_switch(migration, at(15, 10), timezone.now(), by_client=True)
    owner.owner.language = "en"
    owner.owner.save()
    client.force_login(owner.owner)
    with time_machine.travel(at(1, 9), tick=False):
        url = reverse("servers:migration", args=[server.pk])
        page = client.get(url).content.decode()
        assert "Your plan allows a switch from" in page
        assert 'min="2026-03-18"' in page and 'max="2026-03-30"' in page
        assert "On a working day, from 09:00 to 17:30" in page
        # Saturday 21 March is refused on the form, with the reason.
        response = client.post(url, {"action": "book", "day": "2026-03-21", "at": "10:00"})
        assert "not a working day" in response.content.decode()
    migration.refresh_from_db()
    assert migration.switch_at == at(22)

    global_server = make_server(other_client, "global", name="srv9.example.org")
    open_on_x(global_server)
    other_client.owner.language = "en"
    other_client.owner.save()
    client.force_login(other_client.owner)
    with time_machine.travel(at(1, 9), tick=False):
        page = client.get(reverse("servers:migration", args=[global_server.pk])).content.decode()
    assert "any day and any hour" in page
