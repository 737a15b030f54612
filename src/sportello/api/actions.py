"""Tokens and webhook endpoints: creating, checking, revoking, rotating, replaying."""

import hashlib
import ipaddress
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sportello.accounts.models import Client, User
from sportello.core import audit
from sportello.core.models import AuditEvent

from . import scopes as scope_names
from .events import EVENTS, schedule
from .models import ApiToken, WebhookDelivery, WebhookEndpoint
from .targets import check_target

TOKEN_PREFIX = "spt_"
Action = AuditEvent.Action
TOKEN_CREATED, TOKEN_REVOKED, API_WRITE = (
    Action.API_TOKEN_CREATED, Action.API_TOKEN_REVOKED, Action.API_WRITE
)  # fmt: skip
WEBHOOK_CHANGED = Action.WEBHOOK_CHANGED
# A rotated secret keeps signing alongside the new one for this long.
ROTATION_OVERLAP = timedelta(hours=24)


def digest(raw: str) -> str:
    # The token carries 256 random bits: a fast hash cannot be brute-forced back.
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError as error:
            raise ValidationError(
                {"allowed_ips": _("“%(entry)s” is not an address or a network.") % {"entry": entry}}
            ) from error
    return networks


@transaction.atomic
def create_token(user: User, *, name: str, scopes: list[str], now: datetime,
                 client: Client | None = None, expires_at: datetime | None = None,
                 allowed_ips: str = "", created_by: User | None = None,
                 request: HttpRequest | None = None) -> tuple[ApiToken, str]:  # fmt: skip
    """A new token and its clear text, which is shown once and never stored."""
    if client is not None and client.owner_id != user.pk:
        raise ValidationError(_("A client's token acts as the client's own login."))
    allowed = scope_names.allowed_for(user, client)
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    refused = [scope for scope in scopes if scope not in allowed]
    if refused:
        raise ValidationError(
            {
                "scopes": _("Not allowed for this holder: %(scopes)s")
                % {"scopes": ", ".join(refused)}
            }
        )
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    networks = parse_networks(allowed_ips)
    if not name.strip():
        raise ValidationError({"name": _("Give the token a name.")})
    while True:
        prefix = secrets.token_hex(4)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        name=name.strip()[:100], prefix=prefix, digest=digest(raw), user=user, client=client,
        scopes=[scope for scope in scope_names.ALL if scope in scopes], expires_at=expires_at,
        allowed_ips="\n".join(str(network) for network in networks),
        created_by=created_by or user,
    )  # fmt: skip
    audit.record(
        TOKEN_CREATED, request=request, actor=created_by or user, client=client,
        detail=f"{token} {' '.join(token.scopes)}",
    )  # fmt: skip
    return token, raw


def find_token(raw: str, now: datetime) -> ApiToken | None:
    """The live token this clear text names, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = (
        ApiToken.objects.live(now)
        .select_related("user", "client", "client__owner", "client__tier")
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not secrets.compare_digest(token.digest, digest(raw)):
        return None
    if not token.user.is_active:
        return None
    return token


def address_allowed(token: ApiToken, address: str | None) -> bool:
    if not token.allowed_ips.strip():
        return True
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in parse_networks(token.allowed_ips))


def effective_scopes(token: ApiToken) -> set[str]:
    """The token's scopes that its holder still may have (a role can change after)."""
    return set(token.scopes) & set(scope_names.allowed_for(token.user, token.client))


def mark_used(token: ApiToken, now: datetime, address: str | None) -> None:
    # At most one write a minute per token: busy integrations do not write on every call.
    if token.last_used_at and now - token.last_used_at < timedelta(minutes=1):
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=address)


@transaction.atomic
def revoke_token(token: ApiToken, by: User, now: datetime,
                 request: HttpRequest | None = None) -> bool:  # fmt: skip
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if revoked:
        audit.record(TOKEN_REVOKED, request=request, actor=by, client=token.client,
                     detail=str(token))  # fmt: skip
    return bool(revoked)


def tokens_visible_to(user: User) -> "list[ApiToken]":
    """Staff see their own tokens; administrators every token."""
    tokens = ApiToken.objects.select_related("user", "client")
    if not user.is_admin:
        tokens = tokens.filter(user=user)
    return list(tokens[:500])


def record_write(request: HttpRequest, token: ApiToken, status: int) -> None:
    """Every call that changes something, with the token's name."""
    audit.record(
        API_WRITE, request=request, actor=token.user, client=token.client,
        detail=f"{token.name} (spt_{token.prefix}): {request.method} {request.path} → {status}",
    )  # fmt: skip


# --- Webhook endpoints ---------------------------------------------------------------------


def new_secret() -> str:
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@transaction.atomic
def create_endpoint(url: str, events: list[str], *, description: str = "", actor: User,
                    request: HttpRequest | None = None) -> WebhookEndpoint:  # fmt: skip
    check_target(url)
    unknown = [event for event in events if event not in EVENTS]
    if unknown or not events:
        raise ValidationError({"events": _("Choose the events to send.")})
    endpoint = WebhookEndpoint.objects.create(
        url=url, events=events, description=description, secret=new_secret()
    )
    audit.record(WEBHOOK_CHANGED, request=request, actor=actor, detail=f"+ {url}")
    return endpoint


@transaction.atomic
def rotate_secret(endpoint: WebhookEndpoint, actor: User, now: datetime,
                  request: HttpRequest | None = None) -> WebhookEndpoint:  # fmt: skip
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_until = now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_until"])
    audit.record(WEBHOOK_CHANGED, request=request, actor=actor,
                 detail=f"{endpoint.url}: secret rotated")  # fmt: skip
    return endpoint


@transaction.atomic
def set_endpoint_active(endpoint: WebhookEndpoint, active: bool, actor: User, now: datetime,
                        request: HttpRequest | None = None) -> None:  # fmt: skip
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=active,
        disabled_at=None if active else now,
        failing_since=None,
    )
    audit.record(WEBHOOK_CHANGED, request=request, actor=actor,
                 detail=f"{endpoint.url}: {'enabled' if active else 'disabled'}")  # fmt: skip


@transaction.atomic
def replay(delivery: WebhookDelivery, actor: User, now: datetime,
           request: HttpRequest | None = None) -> WebhookDelivery:  # fmt: skip
    """Send a delivery again, with the same id (receivers recognise it), from now."""
    WebhookDelivery.objects.filter(pk=delivery.pk).exclude(
        status=WebhookDelivery.Status.SENDING
    ).update(status=WebhookDelivery.Status.PENDING, next_attempt_at=now)
    audit.record(WEBHOOK_CHANGED, request=request, actor=actor,
                 detail=f"{delivery.endpoint.url}: replay {delivery.message_id}")  # fmt: skip
    transaction.on_commit(lambda: schedule([delivery.pk]))
    delivery.refresh_from_db()
    return delivery
