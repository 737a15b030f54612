"""The jobs page: next run, each job's history, and a run started by hand that is the
worker's own idempotent run."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from sportello.accounts.models import User
from sportello.automation import actions, registry
from sportello.automation.models import JobRun, JobSettings
from sportello.core.models import AuditEvent
from sportello.testing import make_staff

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def counting_job():
    calls = []

    def job(now, dry_run=False):
        # Claims once per day, like the real jobs.
        day = now.date()
        done = 0 if day in calls or dry_run else 1
        if done:
            calls.append(day)
        return {"tickets": done}

    registry.JOBS["test_counting"] = job
    yield calls
    del registry.JOBS["test_counting"]


def test_next_run_is_today_before_the_hour_and_tomorrow_after():
    JobSettings.objects.update_or_create(pk=1, defaults={"run_hour": 6})
    before = datetime(2026, 11, 16, 5, 0, tzinfo=ROME)
    after = datetime(2026, 11, 16, 7, 0, tzinfo=ROME)
    assert actions.next_run(before) == datetime(2026, 11, 16, 6, 5, tzinfo=ROME)
    assert actions.next_run(after) == datetime(2026, 11, 17, 6, 5, tzinfo=ROME)


def test_run_now_is_the_idempotent_run_recorded_and_audited(client, counting_job):
    admin = make_staff(User.Role.ADMIN)
    client.force_login(admin)
    url = reverse("desk:job_run_now", args=["test_counting"])
    with time_machine.travel(datetime(2026, 11, 16, 12, 0, tzinfo=ROME), tick=False):
        first = client.post(url)
        second = client.post(url)
    assert first.status_code == second.status_code == 302
    assert counting_job == [datetime(2026, 11, 16).date()]
    counts = list(JobRun.objects.filter(job="test_counting").values_list("counts", flat=True))
    assert sorted(c["tickets"] for c in counts) == [0, 1]
    events = AuditEvent.objects.filter(action=AuditEvent.Action.JOB_RUN_BY_HAND)
    assert events.count() == 2 and events.filter(actor=admin).count() == 2
    page = client.get(reverse("desk:job_history", args=["test_counting"]))
    assert page.status_code == 200 and len(page.context["runs"]) == 2


def test_run_now_is_for_administrators_only(client, counting_job):
    client.force_login(make_staff(User.Role.BILLING))
    assert client.post(reverse("desk:job_run_now", args=["test_counting"])).status_code == 403
    assert counting_job == []


def test_unknown_job_is_not_found(client):
    client.force_login(make_staff(User.Role.ADMIN))
    assert client.post(reverse("desk:job_run_now", args=["no_such_job"])).status_code == 404
    assert client.get(reverse("desk:job_history", args=["no_such_job"])).status_code == 404


def test_a_retired_job_keeps_its_history_without_run_now(client):
    client.force_login(make_staff(User.Role.ADMIN))
    JobRun.objects.create(job="retired_job", day=datetime(2026, 11, 2).date(), counts={"n": 1})
    page = client.get(reverse("desk:job_history", args=["retired_job"]))
    assert page.status_code == 200 and len(page.context["runs"]) == 1
    assert reverse("desk:job_run_now", args=["retired_job"]) not in page.content.decode()
    assert client.get(reverse("desk:job_runs")).status_code == 200
