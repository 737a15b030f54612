from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from . import jobs


@db_periodic_task(crontab(hour="6", minute="10"))
def invoice_overdue_balances():
    return jobs.invoice_overdue_balances(timezone.now())
