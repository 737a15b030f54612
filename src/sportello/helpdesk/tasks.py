from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from .jobs import auto_close


# Also every hour, not only in the daily run: "24 hours without an answer" should not
# become 47.
@db_periodic_task(crontab(minute="20"))
@lock_task("ticket-auto-close")
def close_waiting_tickets():
    return auto_close(timezone.now())
