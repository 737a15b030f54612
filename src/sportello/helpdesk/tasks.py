import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from sportello.core.logs import counted

from .jobs import auto_close

log = logging.getLogger(__name__)


# Also every hour, not only in the daily run: "24 hours without an answer" should not
# become 47.
@db_periodic_task(crontab(minute="20"))
@lock_task("ticket-auto-close")
def close_waiting_tickets():
    result = auto_close(timezone.now())
    if result["closed"]:
        log.info("closed %s waiting for the client", counted(result["closed"], "ticket"))
    return result
