"""Sending webhook deliveries: signed per the Standard Webhooks specification, claimed so
two workers never send one delivery at once, retried with exponential backoff for three
days, each attempt recorded."""

import json
import logging
import time
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from standardwebhooks.webhooks import Webhook

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .targets import check_target, pinned

log = logging.getLogger(__name__)

# Retried for this long after the event, then failed (staff can replay it).
GIVE_UP_AFTER = timedelta(days=3)
# A delivery left SENDING this long belongs to a worker that stopped mid-send.
STALE_SENDING = timedelta(minutes=5)
USER_AGENT = "Sportello-Webhooks/1"


def backoff(attempts: int) -> timedelta:
    """5 s, 5 min, 30 min, 2 h, 5 h, then every 10 h (the Standard Webhooks schedule)."""
    steps = [5, 300, 1800, 7200, 18000]
    return timedelta(seconds=steps[attempts - 1] if attempts <= len(steps) else 36000)


def body_of(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def signed_headers(delivery: WebhookDelivery, endpoint: WebhookEndpoint, body: bytes,
                   now: datetime) -> dict[str, str]:  # fmt: skip
    """The three headers; during a rotation the old secret signs too (space-separated)."""
    signatures = " ".join(
        Webhook(secret).sign(delivery.message_id, now, body) for secret in endpoint.secrets(now)
    )
    return {
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _earlier_pending(delivery: WebhookDelivery) -> bool:
    """An older delivery about the same object to the same endpoint still waits: this one
    goes after it, so the receiver sees an object's events in order."""
    return (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id, object_key=delivery.object_key, pk__lt=delivery.pk
        )
        .filter(status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING])
        .exists()
    )


def claim(delivery_id: int, now: datetime) -> bool:
    return bool(
        WebhookDelivery.objects.filter(
            Q(status=WebhookDelivery.Status.PENDING) & Q(next_attempt_at__lte=now),
            pk=delivery_id,
        ).update(status=WebhookDelivery.Status.SENDING, next_attempt_at=now)
    )


def deliver(delivery_id: int, now: datetime, client: httpx.Client | None = None) -> bool | None:
    """Send one due delivery: True when delivered, False when it failed this time, None when
    it was not due (or another worker had it)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return None
    if _earlier_pending(delivery):
        return None
    if not claim(delivery_id, now):
        return None
    delivery.refresh_from_db()
    endpoint = delivery.endpoint
    body = body_of(delivery)
    status_code: int | None = None
    excerpt = error = ""
    started = time.monotonic()
    try:
        if not endpoint.is_active:
            raise ValidationError("endpoint disabled")
        address = check_target(endpoint.url)[0]
        url, host, extensions = pinned(endpoint.url, address)
        own = client is None
        http = client or httpx.Client(timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
        try:
            headers = {**signed_headers(delivery, endpoint, body, now), **host}
            response = http.post(
                url, content=body, headers=headers, extensions=extensions, follow_redirects=False
            )
        finally:
            if own:
                http.close()
        status_code = response.status_code
        excerpt = response.text[:500]
    except ValidationError as refused:
        error = "; ".join(refused.messages)[:300]
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"[:300]
    duration_ms = int((time.monotonic() - started) * 1000)
    WebhookAttempt.objects.create(
        delivery=delivery, at=now, status_code=status_code, duration_ms=duration_ms,
        response_excerpt=excerpt, error=error,
    )  # fmt: skip
    delivery.attempts += 1
    delivery.last_status_code = status_code
    ok = status_code is not None and 200 <= status_code < 300
    if ok:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
    else:
        log.warning("webhook %s to %s failed: %s", delivery.message_id, endpoint.url,
                    status_code or error)  # fmt: skip
        retry_at = now + backoff(delivery.attempts)
        if retry_at - delivery.created_at > GIVE_UP_AFTER:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            delivery.status = WebhookDelivery.Status.PENDING
            delivery.next_attempt_at = retry_at
        WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
            failing_since=now
        )
    delivery.save(update_fields=["attempts", "last_status_code", "status", "delivered_at",
                                 "next_attempt_at"])  # fmt: skip
    return ok


def deliver_all(ids: list[int], now: datetime) -> int:
    """Deliveries in the order they were written (an object's events in order), over one
    connection pool; the number delivered."""
    delivered = 0
    with httpx.Client(timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as client:
        for delivery_id in sorted(ids):
            delivered += bool(deliver(delivery_id, now, client))
    return delivered
