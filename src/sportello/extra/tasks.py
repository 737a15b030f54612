import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from sportello.core.logs import counted

from .jobs import alert_late_requests

log = logging.getLogger(__name__)


# Every five minutes, not only in the daily run: urgent requests are due within the hour.
@db_periodic_task(crontab(minute="*/5"))
@lock_task("extra-take-in-charge")
def alert_late_extra_requests():
    result = alert_late_requests(timezone.now())
    if result["alerts"]:
        log.info("alerted technicians of %s", counted(result["alerts"], "late extra request"))
    return result
