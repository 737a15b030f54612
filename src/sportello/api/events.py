"""Events sent to webhook endpoints: deliveries are rows written in the transaction that
caused the event, so a rolled-back action sends nothing, and handed to the workers after
the commit."""

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sportello.core.models import read_once

from .models import WebhookDelivery, WebhookEndpoint

EVENTS = {
    "invoice.issued": _("Invoice issued"),
    "invoice.paid": _("Invoice paid"),
    "payment.received": _("Payment received"),
    "service.suspended": _("Service suspended"),
    "service.reactivated": _("Service reactivated"),
    "service.terminated": _("Service terminated"),
    "domain.expiring": _("Domain expiring"),
    "ticket.created": _("Ticket opened"),
    "ticket.replied": _("Ticket answered"),
    "ticket.closed": _("Ticket closed"),
}


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def emit(
    event: str, items: Iterable[tuple[str, dict[str, Any]]], now: datetime | None = None
) -> int:
    """One delivery per (object key, data) for each active endpoint that wants `event`."""
    active = read_once(
        "api.webhook_endpoints",
        lambda: list(WebhookEndpoint.objects.filter(is_active=True).only("pk", "events")),
    )
    endpoints = [endpoint for endpoint in active if event in endpoint.events]
    if not endpoints:
        return 0
    now = now or timezone.now()
    timestamp = timezone.now()
    rows = [
        WebhookDelivery(
            endpoint=endpoint,
            message_id=new_message_id(),
            event=event,
            object_key=key,
            payload={"type": event, "timestamp": timestamp.isoformat(), "data": data},
            next_attempt_at=timestamp,
            created_at=timestamp,
        )
        for key, data in items
        for endpoint in endpoints
    ]
    created = WebhookDelivery.objects.bulk_create(rows)
    ids = [row.pk for row in created if row.pk is not None]
    if ids:
        transaction.on_commit(lambda: schedule(ids))
    return len(rows)


def schedule(ids: list[int]) -> None:
    from .tasks import deliver_webhooks

    deliver_webhooks(ids)
