from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import inbound, jobs, sender


@db_task()
def deliver_email(email_id: int) -> bool:
    return sender.deliver(email_id, timezone.now())


@db_task()
def deliver_emails(email_ids: list[int]) -> int:
    """Emails queued together (a daily job's notices, a ticket's staff alerts), delivered
    over one connection."""
    return sender.deliver_all(email_ids, timezone.now())


@db_periodic_task(crontab(minute="*"))
def send_due_emails():
    return jobs.send_due_emails(timezone.now())


@db_task()
def process_inbound(message_id: int):
    return inbound.process(message_id, timezone.now()).status


@db_periodic_task(crontab(minute="*"))
def process_waiting_inbound():
    """Messages whose processing was lost (a worker stopped) are picked up again."""
    return jobs.process_waiting_inbound(timezone.now())
