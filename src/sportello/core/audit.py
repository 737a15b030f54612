from .models import AuditEvent
from .net import client_ip


def record(action, *, request=None, actor=None, client=None, detail: str = "") -> AuditEvent:
    """Write one audit row; the caller's transaction decides whether it stays."""
    user = getattr(request, "user", None)
    if actor is None and user is not None and user.is_authenticated:
        actor = user
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        client=client,
        ip_address=client_ip(request),
        detail=detail[:500],
    )


def record_each(action, events: list[tuple[object, str]]) -> list[AuditEvent]:
    """One row per (client, detail) for work done without a request or an actor (a daily
    job), written together."""
    return AuditEvent.objects.bulk_create(
        AuditEvent(action=action, client=client, detail=detail[:500]) for client, detail in events
    )
