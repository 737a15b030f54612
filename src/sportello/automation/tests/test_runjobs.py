import json
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from sportello.automation import registry
from sportello.automation.models import JobRun
from sportello.mail.actions import queue_to_client
from sportello.mail.models import OutboundEmail

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


def runjobs(*args) -> dict:
    out = StringIO()
    call_command("runjobs", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def email_dated(client, when):
    email = queue_to_client(client, "welcome")
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=when)
    return email


def test_mail_history_purge_keeps_last_year_and_this_one(owner):
    old = email_dated(owner, datetime(2025, 12, 31, 23, 0, tzinfo=ROME))
    kept = email_dated(owner, datetime(2026, 1, 1, 0, 30, tzinfo=ROME))
    # Any other day: nothing happens.
    assert runjobs("--date", "2027-01-08")["jobs"]["mail_history_purge"]["counts"] == {}
    dry = runjobs("--date", "2027-01-09", "--dry-run")
    assert dry["jobs"]["mail_history_purge"]["counts"] == {"deleted": 1}
    assert OutboundEmail.objects.filter(pk=old.pk).exists()
    assert runjobs("--date", "2027-01-09")["jobs"]["mail_history_purge"]["counts"] == {"deleted": 1}
    assert list(OutboundEmail.objects.values_list("pk", flat=True)) == [kept.pk]
    # The same day again deletes nothing more.
    assert runjobs("--date", "2027-01-09")["jobs"]["mail_history_purge"]["counts"] == {"deleted": 0}


def test_the_purge_can_keep_the_year_before_last_too(owner):
    from sportello.automation.models import JobSettings

    JobSettings.objects.update_or_create(pk=1, defaults={"mail_years_kept": 3})
    older = email_dated(owner, datetime(2024, 12, 31, 23, 0, tzinfo=ROME))
    kept = email_dated(owner, datetime(2025, 1, 1, 0, 30, tzinfo=ROME))
    assert runjobs("--date", "2027-01-09")["jobs"]["mail_history_purge"]["counts"] == {"deleted": 1}
    assert list(OutboundEmail.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not OutboundEmail.objects.filter(pk=older.pk).exists()


def test_each_run_is_recorded_with_its_counts():
    runjobs("--date", "2026-05-04")
    runs = JobRun.objects.filter(day="2026-05-04")
    assert set(runs.values_list("job", flat=True)) == set(registry.JOBS)
    assert all(run.errors == [] and not run.dry_run for run in runs)


def test_a_failing_job_is_recorded_and_the_others_still_run(monkeypatch):
    def broken(now, dry_run=False):
        raise RuntimeError("disk full")

    monkeypatch.setitem(registry.JOBS, "broken", broken)
    with pytest.raises(CommandError, match="some jobs failed"):
        call_command("runjobs", "--date", "2026-05-04", stdout=StringIO())
    assert JobRun.objects.get(job="broken").errors == ["RuntimeError: disk full"]
    assert JobRun.objects.filter(job="mail_history_purge", errors=[]).exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--date", "2026-02-30"], "--date must be YYYY-MM-DD, not '2026-02-30'"),
        (["--only", "nope"], "unknown job nope"),
    ],
)
def test_bad_arguments_say_what_is_wrong(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("runjobs", *args, stdout=StringIO())
    assert not JobRun.objects.exists()


def test_admins_see_the_runs_and_tomorrows_dry_run(client):
    from sportello.testing import make_staff

    runjobs("--date", "2026-05-04")
    client.force_login(make_staff("agent"))
    assert client.get("/desk/jobs/").status_code == 403
    admin = make_staff("admin")
    admin.language = "en"
    admin.save()
    client.force_login(admin)
    response = client.get("/desk/jobs/")
    assert response.status_code == 200
    assert set(response.context["preview"]) == set(registry.JOBS)
    assert "Quote balances after 180 days" in response.content.decode()
    # The preview is not recorded as a run.
    assert not JobRun.objects.filter(dry_run=True).exists()


def test_every_job_has_a_label():
    from sportello.automation.labels import JOB_LABELS

    assert set(registry.JOBS) <= set(JOB_LABELS)
