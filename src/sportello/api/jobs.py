"""Webhook deliveries in the workers: what is due (retries, deliveries whose task was lost,
a worker stopped mid-send) every minute; once a day, endpoints failing for days are
disabled and the administrators told, and old deliveries are forgotten."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from sportello.accounts.models import User
from sportello.automation.registry import Counts, job
from sportello.mail.actions import queue_to_staff

from .delivery import GIVE_UP_AFTER, STALE_SENDING, deliver_all
from .models import IdempotencyRecord, RateWindow, WebhookDelivery, WebhookEndpoint

KEEP_DELIVERIES = timedelta(days=30)
# An Idempotency-Key replays its first answer for a day, as long as clients retry.
KEEP_IDEMPOTENCY = timedelta(days=1)


def send_due_webhooks(now: datetime, limit: int = 500) -> Counts:
    stale = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.SENDING, next_attempt_at__lt=now - STALE_SENDING
    ).update(status=WebhookDelivery.Status.PENDING)
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).values_list("pk", flat=True)[:limit]
    return {"delivered": deliver_all(list(due), now), "recovered": stale}


@job("webhook_endpoints", label=_("Failing webhook endpoints disabled"))
def disable_failing_endpoints(now: datetime, dry_run: bool = False) -> Counts:
    """Endpoints failing for longer than deliveries are retried are disabled (the
    administrators are mailed); deliveries older than 30 days are deleted."""
    failing = WebhookEndpoint.objects.filter(is_active=True, failing_since__lt=now - GIVE_UP_AFTER)
    old = WebhookDelivery.objects.filter(
        created_at__lt=now - KEEP_DELIVERIES,
        status__in=[WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED],
    )
    if dry_run:
        return {"disabled": failing.count(), "deleted": old.count()}
    disabled = 0
    for endpoint in failing:
        with transaction.atomic():
            # Claimed by the update: a second run, or another machine, mails nobody twice.
            if not WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
                is_active=False, disabled_at=now
            ):
                continue
            admins = User.objects.filter(is_active=True, role=User.Role.ADMIN)
            queue_to_staff(admins, "webhook_disabled", {"endpoint": endpoint})
            disabled += 1
    deleted, _by_model = old.delete()
    return {"disabled": disabled, "deleted": deleted}


@job("api_records", label=_("Idempotency keys and rate-limit records purged"))
def forget_api_records(now: datetime, dry_run: bool = False) -> Counts:
    """Idempotency keys older than a day and the limiter's past minutes."""
    keys = IdempotencyRecord.objects.filter(created_at__lt=now - KEEP_IDEMPOTENCY)
    windows = RateWindow.objects.filter(window__lt=int(now.timestamp()) // 60 - 1)
    if dry_run:
        return {"keys": keys.count(), "windows": windows.count()}
    return {"keys": keys.delete()[0], "windows": windows.delete()[0]}
