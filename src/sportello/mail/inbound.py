"""Inbound mail is stored before it is acknowledged: every channel (gateway, IMAP, pipe)
commits the raw message with `store`, and processing is queued after the commit
(`processing.process`), so nothing acknowledged is lost (HD-2, HD-3)."""

import hashlib
import re
from datetime import datetime
from email import policy
from email.parser import BytesHeaderParser

import psycopg
from django.db import IntegrityError, connection, transaction

from . import limits
from .message import clean
from .models import InboundMessage
from .tasks import process_inbound

_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def _headers(raw: bytes):
    """The headers of the message's head: a header block longer than the limits allow is
    refused by the processing anyway, and parsing a 24 MB flood of headers in full held
    seven times its size in memory before the message was even stored."""
    return BytesHeaderParser(policy=policy.compat32).parsebytes(raw[: limits.MAX_HEADER_BLOCK])


def dedup_key(raw: bytes) -> str:
    try:
        message_id = _headers(raw).get("Message-ID")
    except Exception:  # unreadable headers: the bytes identify the message
        message_id = None
    message_id = clean(re.sub(r"\r?\n[ \t]+", " ", str(message_id or ""))).strip()[:250]
    return message_id or "sha256:" + _digest(raw)


def store(raw: bytes, recipient: str, channel: str, now: datetime, *, envelope_from: str = "",
          peer_ip: str | None = None,
          over_limit: tuple[str, str] | None = None,
          key: str = "") -> tuple[InboundMessage, bool]:  # fmt: skip
    """Commit the raw bytes; (row, False) when the same message was already stored. The
    processing is queued after the commit. `over_limit` (code, detail): the message was
    cut at the size limit on the way in, so it is kept quarantined, never processed."""
    key = key or dedup_key(raw)
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                received_at=now,
                channel=channel,
                recipient=recipient.lower(),
                envelope_from=clean(envelope_from)[:300],
                peer_ip=peer_ip,
                dedup_key=key,
                raw=raw if connection.vendor != "postgresql" else b"",
                **(
                    {
                        "status": InboundMessage.Status.QUARANTINED,
                        "processed_at": now,
                        "reason_code": over_limit[0],
                        "reason": over_limit[1][:300],
                    }
                    if over_limit
                    else {}
                ),  # fmt: skip
            )
            if connection.vendor == "postgresql":
                _write_raw(row, raw)
            if over_limit is None:
                transaction.on_commit(lambda: _schedule(row.pk))
    except IntegrityError:
        earlier = InboundMessage.objects.get(dedup_key=key)
        if over_limit is not None or same_message(bytes(earlier.raw), raw):
            return earlier, False
        # The Message-ID of a message we have, with another sender or text: a replay (or a
        # broken sender), kept for staff rather than dropped as a duplicate.
        replay = (
            "replay",
            f"Message-ID already received (message {earlier.pk}) with a different "
            "sender or content",
        )
        return store(raw, recipient, channel, now, envelope_from=envelope_from,
                     peer_ip=peer_ip, over_limit=replay, key="replay:" + _digest(raw))  # fmt: skip
    return row, True


def _write_raw(row: InboundMessage, raw: bytes) -> None:
    """The bytes bound on the server, as binary: Django binds parameters in the client, which
    writes a bytea into the SQL text in hex, and a 24 MB message then took 144 MB."""
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"UPDATE {InboundMessage._meta.db_table} SET raw = %s WHERE id = %s",  # noqa: S608
            [raw, row.pk],
        )
    row.raw = raw


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _fingerprint(raw: bytes) -> tuple[bytes, bytes]:
    """What makes two copies the same message: the From header and the body. Trace headers
    (Received, Authentication-Results…) differ between two deliveries of one message."""
    try:
        sender = " ".join(str(_headers(raw).get("From", "")).split()).encode()
    except Exception:
        sender = b""
    match = _BLANK_LINE.search(raw)
    body = raw[match.end() :] if match else b""
    return sender, hashlib.sha256(body.replace(b"\r\n", b"\n").rstrip()).digest()


def same_message(earlier: bytes, later: bytes) -> bool:
    return earlier == later or _fingerprint(earlier) == _fingerprint(later)


def _schedule(pk: int) -> None:
    process_inbound(pk)
