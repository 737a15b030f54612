from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from . import registry


# Every hour, and the jobs run once the day's run hour has come: a worker that was down at
# that hour catches up, and claims make the extra runs do nothing.
@db_periodic_task(crontab(minute="5"))
@lock_task("daily-jobs")
def run_daily_jobs():
    now = timezone.now()
    if now < registry.run_time(timezone.localdate(now)):
        return None
    return registry.run_day(now)
