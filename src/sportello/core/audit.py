from typing import TYPE_CHECKING

from django.db.models import Model
from django.http import HttpRequest

from .models import AuditEvent
from .net import client_ip

if TYPE_CHECKING:
    # django-stubs reads this alias as the configured user model (accounts.User).
    from django.contrib.auth.models import _User


# The client an event concerns is an `accounts.Client`, from an app above this one: the
# row refers to it by its id.
def record(action: str, *, request: HttpRequest | None = None, actor: "_User | None" = None,
           client: Model | None = None, detail: str = "") -> AuditEvent:  # fmt: skip
    """Write one audit row; the caller's transaction decides whether it stays."""
    user = getattr(request, "user", None)
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        client_id=client.pk if client is not None else None,
        ip_address=client_ip(request),
        detail=detail[:500],
    )


def record_each(action: str, events: list[tuple[Model, str]]) -> list[AuditEvent]:
    """One row per (client, detail) for work done without a request or an actor (a daily
    job), written together."""
    return AuditEvent.objects.bulk_create(
        AuditEvent(action=action, client_id=client.pk, detail=detail[:500])
        for client, detail in events
    )
