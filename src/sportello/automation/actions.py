"""The scheduled jobs as staff see and start them: when the next run is, each job's
history, and a run started by hand (the same idempotent run as the worker's)."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.core import audit
from sportello.core.logs import counts_text
from sportello.core.models import AuditEvent

from . import registry
from .models import JobRun

# The worker's hourly task runs at five past the hour (automation.tasks.run_daily_jobs).
WORKER_MINUTE = timedelta(minutes=5)


def next_run(now: datetime) -> datetime:
    """When the worker next runs the day's jobs: today's run hour if it is still to come,
    else tomorrow's."""
    today = timezone.localdate(now)
    moment = registry.run_time(today) + WORKER_MINUTE
    if moment <= now:
        moment = registry.run_time(today + timedelta(days=1)) + WORKER_MINUTE
    return moment


def history(name: str, limit: int = 50) -> QuerySet[JobRun]:
    return JobRun.objects.filter(job=name)[:limit]


def last_runs() -> dict[str, JobRun]:
    """The latest recorded run of each registered job (dry runs aside)."""
    latest: dict[str, JobRun] = {}
    for name in registry.JOBS:
        run = JobRun.objects.filter(job=name, dry_run=False).first()
        if run is not None:
            latest[name] = run
    return latest


def run_now(name: str, now: datetime, *,
            request: HttpRequest | None = None) -> registry.JobResult:  # fmt: skip
    """Run one job as of `now`, as the worker would: it claims what it does, so running it
    again (or while the worker runs it) does nothing twice. Recorded in the audit log."""
    if name not in registry.JOBS:
        raise ValidationError(_("There is no job called %(name)s.") % {"name": name[:60]})
    result = registry.run_day(now, only=[name])[name]
    detail = f"{name}: {counts_text(result['counts']) or '-'}"
    if result["errors"]:
        detail += f"; failed: {result['errors'][0]}"
    audit.record(AuditEvent.Action.JOB_RUN_BY_HAND, request=request, detail=detail)
    return result
