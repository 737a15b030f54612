import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from sportello.core.logs import counted

from . import deliveries, jobs, processing, sender
from .models import InboundMessage

log = logging.getLogger(__name__)
# Emails queued together are delivered by tasks of this many, so a daily run of thousands
# of notices enqueues a few hundred tasks, not one per email.
DELIVERY_CHUNK = 50


@db_task()
def deliver_email(email_id: int) -> bool:
    sent = sender.deliver(email_id, timezone.now())
    if sent:
        log.info("sent email %s", email_id)
    return sent


@db_task()
def deliver_emails(email_ids: list[int]) -> int:
    """Emails queued together (a daily job's notices, a ticket's staff alerts), delivered
    over one connection."""
    sent = sender.deliver_all(email_ids, timezone.now())
    if sent:
        log.info("sent %s", counted(sent, "email"))
    return sent


@db_periodic_task(crontab(minute="*"))
def send_due_emails():
    result = jobs.send_due_emails(timezone.now())
    if result["sent"] or result["recovered"]:
        # Retries, and emails whose own task was lost or whose worker stopped mid-send.
        recovered = result["recovered"]
        stopped = f" ({recovered} left sending by a stopped worker)" if recovered else ""
        log.info("sent %s%s", counted(result["sent"], "due email"), stopped)
    return result


def schedule_delivery(email_ids: list[int]) -> None:
    """Queued emails to their delivery tasks: one of its own, or DELIVERY_CHUNK a task."""
    if len(email_ids) == 1:
        deliver_email(email_ids[0])
        return
    for start in range(0, len(email_ids), DELIVERY_CHUNK):
        deliver_emails(email_ids[start : start + DELIVERY_CHUNK])


@db_task()
def process_inbound(message_id: int):
    # The batch's acknowledgements and alerts go out together once it has committed.
    with deliveries.collected() as email_ids:
        rows = processing.process_with_waiting(message_id, timezone.now())
    schedule_delivery(email_ids)
    for row in rows:  # left waiting for another batch's ticket: tried again shortly
        if row.status == InboundMessage.Status.RECEIVED:
            process_inbound.schedule((row.pk,), delay=1)
    status = next((row.status for row in rows if row.pk == message_id), "done by another task")
    log.info("inbound message %s: %s", message_id, status)
    return status


@db_periodic_task(crontab(minute="*"))
def process_waiting_inbound():
    """Messages whose processing was lost (a worker stopped) are picked up again."""
    result = jobs.process_waiting_inbound(timezone.now())
    if result["processed"]:
        log.info("processed %s left waiting", counted(result["processed"], "inbound message"))
    return result
