from datetime import date, datetime, timedelta

from django.utils import timezone

from sportello.automation.registry import Counts, job

from . import processing
from .models import InboundMessage, OutboundEmail
from .sender import STALE_SENDING, deliver_all


def send_due_emails(now: datetime, limit: int = 500) -> Counts:
    """Deliver what is due: retries whose backoff has passed and anything a crash left."""
    stale = OutboundEmail.objects.filter(
        status=OutboundEmail.Status.SENDING, next_attempt_at__lt=now - STALE_SENDING
    ).update(status=OutboundEmail.Status.QUEUED)
    due = OutboundEmail.objects.filter(
        status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    sent = deliver_all(list(due), now)
    return {"sent": sent, "recovered": stale}


def process_waiting_inbound(now: datetime, limit: int = 500) -> Counts:
    """Stored messages still waiting a minute after arrival; processing claims each one, so
    the task that was queued for it and this sweep cannot both handle it."""
    waiting = InboundMessage.objects.filter(
        status=InboundMessage.Status.RECEIVED, received_at__lt=now - timedelta(minutes=1)
    ).values_list("pk", flat=True)[:limit]
    pks = list(waiting)
    processed = 0
    for start in range(0, len(pks), processing.BATCH_SIZE):
        rows = processing.process_batch(pks[start : start + processing.BATCH_SIZE], now)
        processed += sum(row.status != InboundMessage.Status.RECEIVED for row in rows)
    return {"processed": processed}


@job("mail_history_purge")
def purge_mail_history(now: datetime, dry_run: bool = False) -> Counts:
    """On the purge day each year, delete mail-history copies older than 1 January of the
    previous year, or of the year before (the years kept are a setting, ACC-8). Run again,
    it finds nothing left to delete."""
    from sportello.automation.models import JobSettings

    settings = JobSettings.current()
    today = timezone.localdate(now)
    if (today.month, today.day) != (settings.mail_purge_month, settings.mail_purge_day):
        return {}
    first_kept = date(today.year - settings.mail_years_kept + 1, 1, 1)
    cutoff = timezone.make_aware(datetime.combine(first_kept, datetime.min.time()))
    old = OutboundEmail.objects.filter(created_at__lt=cutoff)
    if dry_run:
        return {"deleted": old.count()}
    deleted, _by_model = old.delete()
    return {"deleted": deleted}
