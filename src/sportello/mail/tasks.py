from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import jobs, sender


@db_task()
def deliver_email(email_id: int) -> bool:
    return sender.deliver(email_id, timezone.now())


@db_periodic_task(crontab(minute="*"))
def send_due_emails():
    return jobs.send_due_emails(timezone.now())
