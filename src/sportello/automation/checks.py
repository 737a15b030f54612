"""Deployment checks on the workers (`sportello check --deploy`): one of them answers, and
the daily run of yesterday happened and did not fail."""

import json
from datetime import timedelta

from django.core.checks import Error, register
from django.db import DatabaseError
from django.utils import timezone

from sportello.core.checks import DEPLOY

from . import heartbeat, registry
from .models import JobRun

# The heartbeat is queued every minute: older than this, no worker is taking work.
STALE = timedelta(minutes=5)


@register(DEPLOY, deploy=True)
def workers_alive(app_configs, **kwargs):
    beat = heartbeat.last()
    if beat is None:
        return [
            Error(
                "No worker has ever answered on this queue: mail is not sent and the daily "
                "jobs do not run.",
                hint="start `sportello worker` (systemctl enable --now sportello-worker)",
                id="sportello.E010",
            )
        ]
    age = timezone.now() - beat["at"]
    if age > STALE:
        waiting = heartbeat.pending()
        return [
            Error(
                f"No worker has answered for {int(age.total_seconds() // 60)} minutes (last: "
                f"{beat['worker']} at {beat['at']:%Y-%m-%d %H:%M} UTC); {waiting} tasks "
                "waiting in the queue.",
                hint="start or restart `sportello worker` on a worker box, and let one "
                "of them run the scheduler (without --no-periodic)",
                id="sportello.E011",
            )
        ]
    return []


@register(DEPLOY, deploy=True)
def daily_run_yesterday(app_configs, **kwargs):
    yesterday = timezone.localdate() - timedelta(days=1)
    rerun = f"sportello runjobs --date {yesterday}"
    try:
        runs = list(JobRun.objects.filter(day=yesterday, dry_run=False))
    except DatabaseError as error:
        return [
            Error(
                f"The database cannot be read ({type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else 'no detail'}).",
                hint="check DATABASE_URL and that the database server is up, then run "
                "`sportello migrate`",
                id="sportello.E012",
            )
        ]
    if not runs:
        return [
            Error(
                f"The daily jobs did not run for {yesterday}.",
                hint=f"run `{rerun}` now, and check that a worker runs the scheduler",
                id="sportello.E013",
            )
        ]
    problems = []
    missing = sorted(set(registry.JOBS) - {run.job for run in runs})
    if missing:
        problems.append(
            Error(
                f"The daily run of {yesterday} left out {', '.join(missing)}.",
                hint=f"run `{rerun}{''.join(f' --only {name}' for name in missing)}`",
                id="sportello.E014",
            )
        )
    # A job that failed and has not succeeded since for that day.
    succeeded = {run.job for run in runs if not run.errors}
    failed = {run.job: run.errors for run in runs if run.errors and run.job not in succeeded}
    for name, errors in sorted(failed.items()):
        problems.append(
            Error(
                f"The job {name} failed on {yesterday}: {json.dumps(errors[0])[1:-1]}",
                hint=f"see /desk/jobs/, fix the cause, then run `{rerun} --only {name}`",
                id="sportello.E015",
            )
        )
    return problems
