from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .jobs import alert_late_requests


# Every five minutes, not only in the daily run: urgent requests are due within the hour.
@db_periodic_task(crontab(minute="*/5"))
@lock_task("extra-take-in-charge")
def alert_late_extra_requests():
    return alert_late_requests(timezone.now())
