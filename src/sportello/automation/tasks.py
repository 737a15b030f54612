import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task, periodic_task

from sportello.core.logs import counts_text

from . import heartbeat, registry

log = logging.getLogger(__name__)


# Every hour, and the jobs run once the day's run hour has come: a worker that was down at
# that hour catches up, and claims make the extra runs do nothing.
@db_periodic_task(crontab(minute="5"))
@lock_task("daily-jobs")
def run_daily_jobs():
    now = timezone.now()
    if now < registry.run_time(timezone.localdate(now)):
        return None
    results = registry.run_day(now)
    done = [
        f"{name} ({counts_text(result['counts'])})"
        for name, result in results.items()
        if counts_text(result["counts"])
    ]
    failed = [name for name, result in results.items() if result["errors"]]
    # The hourly runs after the day's run find everything claimed: they say nothing.
    if done or failed:
        log.info(
            "daily jobs: %s%s",
            ", ".join(done) or "nothing to do",
            f"; failed: {', '.join(failed)}" if failed else "",
        )
    return results


@periodic_task(crontab(minute="*"))
def worker_heartbeat():
    """What `sportello check --deploy` reads to tell whether the workers are taking work."""
    heartbeat.beat(timezone.now())
