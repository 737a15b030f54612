from datetime import datetime

from .models import OutboundEmail
from .sender import STALE_SENDING, deliver


def send_due_emails(now: datetime, limit: int = 500) -> dict:
    """Deliver what is due: retries whose backoff has passed and anything a crash left."""
    stale = OutboundEmail.objects.filter(
        status=OutboundEmail.Status.SENDING, next_attempt_at__lt=now - STALE_SENDING
    ).update(status=OutboundEmail.Status.QUEUED)
    due = OutboundEmail.objects.filter(
        status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    sent = sum(deliver(pk, now) for pk in list(due))
    return {"sent": sent, "recovered": stale}
