"""Inbound mail: every channel stores the raw message first (`store`), then `process`
turns it into a ticket, a reply, a refusal or a quarantined message — never an exception,
never a loss (HD-2, HD-3, HD-7, HD-8)."""

import hashlib
import html
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses
from functools import lru_cache

import nh3
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from sportello.core.models import settings_read_once

from . import authentication
from .models import InboundMessage, MailSettings, OutboundEmail

log = logging.getLogger(__name__)
Status = InboundMessage.Status


class ParsedHeaders(HeaderRegistry):
    """`policy.default` parses a header again at each read, and a message's headers are read
    many times over (Content-Type alone about ten); the same name and value give the same
    immutable header object, so it is parsed once. Long values (rare, and possibly hostile)
    are not kept, so the memory held stays small."""

    def __call__(self, name, value):
        if len(value) > 2000:
            return super().__call__(name, value)
        return self._parsed(name, value)

    @lru_cache(maxsize=1024)  # noqa: B019 (one registry for the process: nothing leaks)
    def _parsed(self, name, value):
        return super().__call__(name, value)


MESSAGE_POLICY = policy.default.clone(header_factory=ParsedHeaders())


class Quarantine(Exception):
    """The message is kept for staff with this reason."""


# --- Who handles inbound mail ----------------------------------------------------------


@dataclass(frozen=True)
class InboundHandler:
    """What the app that owns the inbound addresses (the help desk) gives transport, which
    knows nothing above it.

    `addresses()`: address → target for every address mail is accepted at (read once per
    message); `is_known(address)`: a fresh look-up for one address (the gateway refuses
    unknown recipients at RCPT); `deliver(row, message, sender, target, automatic,
    mail_settings, now)`: turn an authenticated message into work, setting the row's
    status (and ticket), or raise Quarantine."""

    addresses: Callable[[], dict]
    is_known: Callable[[str], bool]
    deliver: Callable[..., None]


_registered: list[InboundHandler] = []


def register_handler(handler: InboundHandler) -> None:
    _registered[:] = [handler]


def _handler() -> InboundHandler:
    if not _registered:
        raise RuntimeError("no app handles inbound mail")
    return _registered[0]


def recipient_known(address: str) -> bool:
    return _handler().is_known(address.strip())


# --- Storing ----------------------------------------------------------------------------


def clean(text) -> str:
    """Text any database column takes: no NUL, no undecodable surrogates."""
    return str(text).encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def dedup_key(raw: bytes) -> str:
    try:
        message_id = BytesHeaderParser(policy=policy.compat32).parsebytes(raw).get("Message-ID")
    except Exception:  # unreadable headers: the bytes identify the message
        message_id = None
    message_id = clean(re.sub(r"\r?\n[ \t]+", " ", str(message_id or ""))).strip()[:250]
    return message_id or "sha256:" + hashlib.sha256(raw).hexdigest()


def store(raw: bytes, recipient: str, channel: str, now: datetime, *, envelope_from: str = "",
          peer_ip: str | None = None) -> tuple[InboundMessage, bool]:  # fmt: skip
    """Commit the raw bytes; (row, False) when the same message was already stored. The
    processing is queued after the commit."""
    key = dedup_key(raw)
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                received_at=now,
                channel=channel,
                recipient=recipient.lower(),
                envelope_from=clean(envelope_from)[:300],
                peer_ip=peer_ip,
                dedup_key=key,
                raw=raw,
            )
            transaction.on_commit(lambda: _schedule(row.pk))
    except IntegrityError:
        return InboundMessage.objects.get(dedup_key=key), False
    return row, True


def _schedule(pk: int) -> None:
    from .tasks import process_inbound

    process_inbound(pk)


# --- Processing -------------------------------------------------------------------------


# What processing writes back: never the raw bytes, which stay as stored.
OUTCOME_FIELDS = ["status", "reason", "sender", "subject", "ticket", "processed_at"]


def process(pk: int, now: datetime, *, trust_sender: bool = False) -> InboundMessage:
    """Process a stored message once; `trust_sender` when staff release it from quarantine."""
    with settings_read_once():
        return _process_once(pk, now, trust_sender)


def _process_once(pk: int, now: datetime, trust_sender: bool) -> InboundMessage:
    try:
        with transaction.atomic():
            row = (
                InboundMessage.objects.select_for_update()
                .filter(pk=pk, status__in=[Status.RECEIVED, Status.QUARANTINED])
                .first()
            )
            if row is None or (row.status == Status.QUARANTINED and not trust_sender):
                return InboundMessage.objects.get(pk=pk)
            _process(row, now, trust_sender)
            row.processed_at = now
            row.save(update_fields=OUTCOME_FIELDS)
            return row
    except Quarantine as reason:
        return _set(pk, Status.QUARANTINED, str(reason), now)
    except Exception as error:  # a message must never stop the queue nor be lost
        log.exception("inbound message %s could not be processed", pk)
        return _set(pk, Status.QUARANTINED, f"processing error: {type(error).__name__}", now)


def _set(pk, status, reason, now) -> InboundMessage:
    row = InboundMessage.objects.get(pk=pk)
    try:  # what staff see in the quarantine list, as far as the headers can be read
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(bytes(row.raw))
        row.sender = clean(headers.get("From", ""))[:300]
        row.subject = clean(" ".join(str(headers.get("Subject", "")).split()))[:300]
    except Exception:
        pass
    row.status, row.reason, row.processed_at = status, clean(reason)[:300], now
    row.save(update_fields=OUTCOME_FIELDS)
    return row


def _process(row: InboundMessage, now: datetime, trust_sender: bool) -> None:
    """Transport's part: read the message, record bounces, refuse loops, check the
    recipient and authenticate the sender; then the handler turns it into work."""
    raw = bytes(row.raw)  # a BinaryField may read back as a memoryview
    try:
        message = BytesParser(policy=MESSAGE_POLICY).parsebytes(raw)
        row.subject = clean(" ".join(str(message.get("Subject", "")).split()))[:300]
        sender = from_address(message)
    except Quarantine:
        raise
    except Exception as error:
        raise Quarantine(f"unreadable message: {type(error).__name__}") from error
    row.sender = sender or ""
    if is_delivery_report(message):
        _record_bounce(row, message, now)
        return
    if not sender:
        raise Quarantine("no single valid From address")
    handler = _handler()
    targets = handler.addresses()
    if sender in targets or sender in own_addresses():
        row.status, row.reason = Status.REFUSED, "sent by this help desk (loop)"
        return
    target = targets.get(row.recipient.lower())
    if target is None:
        raise Quarantine(f"unknown recipient {row.recipient}")
    automatic = is_automatic(message, row.envelope_from)
    mail_settings = MailSettings.current()
    if not trust_sender:
        verdict = authentication.authenticate(
            raw, message, sender.rsplit("@", 1)[1], mail_settings.trusted_authserv_id
        )
        required = mail_settings.auth_policy == MailSettings.AuthPolicy.ALWAYS
        if not verdict.authenticated and (required or verdict.dmarc_published):
            raise Quarantine(f"sender not authenticated: {verdict.detail}")
    handler.deliver(row, message, sender, target, automatic, mail_settings, now)


# --- Reading a message ------------------------------------------------------------------


def from_address(message) -> str | None:
    """The one address in From — never Reply-To or Sender (HD-7)."""
    values = message.get_all("From", [])
    if len(values) != 1:
        return None
    addresses = [a for _name, a in getaddresses([str(values[0])]) if a]
    if len(addresses) != 1:
        return None
    try:
        address = Address(addr_spec=addresses[0])
    except (ValueError, IndexError, TypeError):
        return None
    if not address.username or "." not in address.domain:
        return None
    return f"{address.username}@{address.domain}".lower()


def own_addresses() -> set[str]:
    """The addresses Sportello itself sends from."""
    return {a.lower() for _n, a in getaddresses([django_settings.DEFAULT_FROM_EMAIL])}


def is_automatic(message, envelope_from: str) -> bool:
    """Mail no automatic answer may go to: auto-replies, lists, bulk, bounces (loops)."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        (auto and not auto.startswith("no"))
        or precedence in ("bulk", "junk", "list")
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
        or message.get("List-Id") is not None
        or envelope_from.strip() == "<>"  # a null sender: bounces and other reports
        or str(message.get("Return-Path", "")).strip() == "<>"
        or "mailer-daemon" in str(message.get("From", "")).lower()
    )


def is_delivery_report(message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and message.get_param("report-type", "").lower() == "delivery-status"
    )


def part_text(part) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def html_to_text(markup: str) -> str:
    """Sanitised with nh3 down to text: nothing from outside is ever rendered as HTML."""
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", markup)
    text = html.unescape(nh3.clean(markup, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def message_text(message) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = part_text(body)
    if body.get_content_type() == "text/html":
        text = html_to_text(text)
    return clean(text).replace("\r\n", "\n").strip()


def split_reply(text: str) -> tuple[str, str]:
    """The new text, and the quoted text and signature to fold away."""
    from mailparser_reply import EmailReplyParser

    try:
        replies = EmailReplyParser(languages=["it", "en", "es"]).read(text).replies
    except Exception:  # the parser is a convenience: on any trouble, keep everything
        return text, ""
    new = replies[0].body.strip() if replies else ""
    if not new:
        return text, ""
    start = text.find(new)
    rest = text[start + len(new) :] if start >= 0 else ""
    return new, rest.strip()


# --- Answers and bounces ----------------------------------------------------------------


def _record_bounce(row: InboundMessage, message, now: datetime) -> None:
    """A delivery report: the outgoing email it is about is marked bounced and its address
    flagged for staff."""
    row.status = Status.BOUNCE
    original = None
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            content = part.get_payload(0) if part.is_multipart() else part_text(part)
            headers = (
                content
                if hasattr(content, "get")
                else BytesHeaderParser(policy=policy.default).parsebytes(str(content).encode())
            )
            original = headers.get("Message-ID")
            if original:
                break
    email = OutboundEmail.objects.filter(message_id=str(original or "").strip()).first()
    if email is None:
        row.reason = "delivery report about an unknown message"
        return
    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.BOUNCED)
    if email.user_id:
        get_user_model().objects.filter(pk=email.user_id, email__iexact=email.to_address).update(
            email_bounced_at=now
        )
    row.reason = f"bounced: {email.to_address}"
