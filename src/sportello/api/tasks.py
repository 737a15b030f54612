import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sportello.core.logs import counted

from . import delivery, jobs

log = logging.getLogger(__name__)


@db_task()
def deliver_webhooks(ids: list[int]) -> int:
    delivered = delivery.deliver_all(ids, timezone.now())
    if delivered:
        log.info("delivered %s", counted(delivered, "webhook"))
    return delivered


@db_periodic_task(crontab(minute="*"))
def send_due_webhooks():
    result = jobs.send_due_webhooks(timezone.now())
    if result["delivered"] or result["recovered"]:
        log.info("delivered %s (retries)", counted(result["delivered"], "webhook"))
    return result
