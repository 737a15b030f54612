"""The scheduled jobs. Apps register their daily jobs here; `run_day` runs them all.

A job is `fn(now, dry_run) -> dict of counts`. It must be idempotent: it selects what is
due at `now` and claims each item (unique constraint or compare-and-swap), so a second run,
a concurrent run or a run after a crash does nothing twice. In a dry run it changes nothing
and returns what it would do.
"""

import logging
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Protocol, TypedDict, TypeVar

from django.utils import timezone
from django.utils.functional import Promise

from .labels import JOB_LABELS
from .models import JobRun

# What a job did (or would do), by what it counts: {"invoices": 3, "services": 5}.
Counts = dict[str, int]


class Job(Protocol):
    def __call__(self, now: datetime, dry_run: bool = False) -> Counts: ...


class JobResult(TypedDict):
    counts: Counts
    errors: list[str]
    duration_ms: int


J = TypeVar("J", bound=Job)

log = logging.getLogger(__name__)
JOBS: dict[str, Job] = {}


def job(name: str, label: str | Promise | None = None) -> Callable[[J], J]:
    """Register a daily job; `label` is its name as staff read it on the runs page."""

    def register(fn: J) -> J:
        JOBS[name] = fn
        if label is not None:
            JOB_LABELS[name] = label
        return fn

    return register


def run_day(now: datetime, *, dry_run: bool = False, only: list[str] | None = None,
            record: bool = True) -> dict[str, JobResult]:  # fmt: skip
    """Run every registered job as of `now`; one job failing does not stop the others."""
    results: dict[str, JobResult] = {}
    for name, fn in JOBS.items():
        if only and name not in only:
            continue
        started = time.monotonic()
        counts: Counts = {}
        errors: list[str] = []
        try:
            counts = fn(now, dry_run=dry_run) or {}
        except Exception as error:  # recorded on the run; the next job still runs
            log.exception("job %s failed", name)
            errors.append(f"{type(error).__name__}: {error}")
        duration_ms = int((time.monotonic() - started) * 1000)
        if record:
            JobRun.objects.create(
                job=name,
                day=timezone.localdate(now),
                dry_run=dry_run,
                duration_ms=duration_ms,
                counts=counts,
                errors=errors,
            )
        results[name] = {"counts": counts, "errors": errors, "duration_ms": duration_ms}
    return results


def run_time(day: date) -> datetime:
    """The moment of a business day at which the daily run happens (provider's time)."""
    from datetime import datetime as dt
    from datetime import time as t

    from .models import JobSettings

    return timezone.make_aware(dt.combine(day, t(JobSettings.current().run_hour)))
