"""Processing a stored inbound message once: transport's checks (bounces, loops, the
recipient, the sender's authentication), then the handler of the app that owns the
address turns it into work, or the message is quarantined with its reason — never an
exception, never a loss (HD-7, HD-8)."""

import logging
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesHeaderParser, BytesParser

from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction

from sportello.core.models import settings_read_once

from . import authentication, limits, verp
from .message import (
    MESSAGE_POLICY,
    ThreadingHeaders,
    clean,
    from_address,
    is_automatic,
    is_delivery_report,
    is_out_of_office,
    own_addresses,
    part_text,
)
from .models import InboundMessage, MailSettings, OutboundEmail
from .quarantine import decoded

log = logging.getLogger(__name__)
Status = InboundMessage.Status


class Quarantine(Exception):
    """The message is kept for staff with this reason: `code` names the kind of reason
    (staff read it in their language), the message is the detail in English."""

    def __init__(self, detail: str, code: str = "other") -> None:
        super().__init__(detail)
        self.code = code


# Set while a batch runs: a message that would wait for rows another batch holds is left
# waiting instead (Busy); processed on its own, it waits for them.
_in_batch: ContextVar[bool] = ContextVar("inbound_batch", default=False)


def batched() -> bool:
    return _in_batch.get()


class Busy(Exception):
    """The message needs a row another worker's batch holds (the ticket it answers): it
    is left waiting rather than processed now. Waiting for that whole batch to commit
    held a batch's worker still, and two batches waiting for each other's tickets were a
    deadlock, which cost a second and the batch."""


# --- Who handles inbound mail ----------------------------------------------------------


@dataclass(frozen=True)
class InboundHandler:
    """What the app that owns the inbound addresses (the help desk) gives transport, which
    knows nothing above it.

    `addresses()`: address → target for every address mail is accepted at (read once per
    message); `is_known(address)`: a fresh look-up for one address (the gateway refuses
    unknown recipients at RCPT); `deliver(row, message, sender, target, automatic,
    mail_settings, now, threading)`: turn an authenticated message into work, setting the
    row's status (and ticket), or raise Quarantine; `threading` (`ThreadingHeaders`) gives
    the headers a thread may be found by, the signed ones only."""

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
    """A department's address, or the signed return path of one of our emails (bounces)."""
    return verp.email_id_of(address) is not None or _handler().is_known(address.strip())


# --- Processing -------------------------------------------------------------------------


# What processing writes back: never the raw bytes, which stay as stored.
OUTCOME_FIELDS = ["status", "reason", "reason_code", "sender", "subject", "ticket",
                  "processed_at"]  # fmt: skip


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
        outcome = (str(reason), reason.code)
    except Exception as error:  # a message must never stop the queue nor be lost
        log.exception("inbound message %s could not be processed", pk)
        outcome = (f"processing error: {type(error).__name__}", "error")
    # Recorded once the exception is gone: its traceback holds the message's bytes, which
    # would be in memory twice over while the row is read again.
    return _set(pk, Status.QUARANTINED, outcome[0], now, outcome[1])


# Messages processed together in one transaction: enough to read the configuration and
# commit once for many, few enough that a batch holds its row locks briefly.
BATCH_SIZE = 50


def process_batch(pks: list[int], now: datetime, waiting: int = 0) -> list[InboundMessage]:
    """Stored messages processed as one unit of work: the configuration read once, one
    transaction, a savepoint per message, so a message that is quarantined or fails rolls
    back alone and the others commit together. The rows are claimed with SKIP LOCKED: a
    message another worker holds is left to it. `waiting`: up to that many other messages
    waiting are claimed with them, among those no other worker holds. Should the
    transaction itself fail (the database went away at commit), each of `pks` is tried
    again on its own, and the others are left to their own tasks."""
    batch = _in_batch.set(True)
    try:
        with settings_read_once(), transaction.atomic():
            received = InboundMessage.objects.select_for_update(skip_locked=True).filter(
                status=Status.RECEIVED
            )
            claimed = list(received.filter(pk__in=pks).values_list("pk", flat=True))
            if waiting:
                # Chosen and locked in one statement: chosen first and locked after, the
                # workers would all choose the oldest, which the first of them holds, and
                # each of the others would be left with a batch of its own message alone.
                others = received.exclude(pk__in=pks).order_by("pk")[:waiting]
                claimed += others.values_list("pk", flat=True)
            return [_process_in_batch(pk, now) for pk in sorted(claimed)]
    except DatabaseError:
        log.exception("a batch of %s inbound messages failed; processing them one by one", len(pks))
    finally:
        _in_batch.reset(batch)
    return [process(pk, now) for pk in pks]


def _process_in_batch(pk: int, now: datetime) -> InboundMessage:
    try:
        with transaction.atomic():
            row = InboundMessage.objects.get(pk=pk)
            if row.status != Status.RECEIVED:  # SQLite takes no row locks: done meanwhile
                return row
            _process(row, now, False)
            row.processed_at = now
            row.save(update_fields=OUTCOME_FIELDS)
            return row
    except Busy:  # rolled back to its savepoint: still `received`, for a later batch
        return InboundMessage.objects.get(pk=pk)
    except Quarantine as reason:
        outcome = (str(reason), reason.code)
    except DatabaseError:
        raise  # the transaction may be unusable: the whole batch is tried again one by one
    except Exception as error:
        log.exception("inbound message %s could not be processed", pk)
        outcome = (f"processing error: {type(error).__name__}", "error")
    return _set(pk, Status.QUARANTINED, outcome[0], now, outcome[1])  # as in _process_once


def process_with_waiting(pk: int, now: datetime) -> list[InboundMessage]:
    """The message a task was queued for, with up to a batch of others waiting behind it:
    when mail arrives faster than it is processed, workers take it in batches, and the
    tasks of messages already done find nothing left to do (an empty list). Those the
    batch left waiting (Busy) are still `received`."""
    if not InboundMessage.objects.filter(pk=pk, status=Status.RECEIVED).exists():
        return []  # a batch took it meanwhile: one query, no transaction
    return process_batch([pk], now, waiting=BATCH_SIZE - 1)


def _set(pk, status, reason, now, code="") -> InboundMessage:
    row = InboundMessage.objects.get(pk=pk)
    try:  # what staff see in the quarantine list, as far as the headers can be read
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(bytes(row.raw)[:262_144])
        row.sender = decoded(headers.get("From", ""))
        row.subject = decoded(headers.get("Subject", ""))
    except Exception:
        pass
    row.status, row.reason, row.processed_at = status, clean(reason)[:300], now
    row.reason_code = code
    row.save(update_fields=OUTCOME_FIELDS)
    return row


def _process(row: InboundMessage, now: datetime, trust_sender: bool) -> None:
    """Transport's part: read the message, record bounces, refuse loops, check the
    recipient and authenticate the sender; then the handler turns it into work."""
    raw = bytes(row.raw)  # a BinaryField may read back as a memoryview
    mail_settings = MailSettings.current()
    over = limits.check(raw, mail_settings.message_max_kb * 1024)
    if over is None and limits.needs_trial(raw):
        over = limits.trial_parse(raw)
    if over is not None:
        raise Quarantine(f"over the limits: {over.detail}", over.code)
    try:
        message = BytesParser(policy=MESSAGE_POLICY).parsebytes(raw)
        row.subject = clean(" ".join(str(message.get("Subject", "")).split()))[:300]
        sender = from_address(message)
    except Quarantine:
        raise
    except Exception as error:
        raise Quarantine(f"unreadable message: {type(error).__name__}", "unreadable") from error
    row.sender = sender or ""
    bounced_email = verp.email_id_of(row.recipient)
    if bounced_email is not None:
        _record_returned(row, message, bounced_email, now)
        return
    if is_delivery_report(message):
        _record_bounce(row, message, now)
        return
    if not sender:
        raise Quarantine("no single valid From address", "no_sender")
    handler = _handler()
    targets = handler.addresses()
    if sender in targets or sender in own_addresses():
        row.status, row.reason = Status.REFUSED, "sent by this help desk (loop)"
        return
    target = targets.get(row.recipient.lower())
    if target is None:
        raise Quarantine(f"unknown recipient {row.recipient}", "recipient")
    automatic = is_automatic(message, row.envelope_from)
    signed = None
    if not trust_sender:
        verdict = authentication.authenticate(
            raw, message, sender.rsplit("@", 1)[1], mail_settings.trusted_authserv_id
        )
        required = mail_settings.auth_policy == MailSettings.AuthPolicy.ALWAYS
        if not verdict.authenticated and (required or verdict.dmarc_published):
            raise Quarantine(f"sender not authenticated: {verdict.detail}", "authentication")
        signed = verdict.signed if verdict.authenticated else None
    threading = ThreadingHeaders(message, signed)
    handler.deliver(row, message, sender, target, automatic, mail_settings, now, threading)


# --- Answers and bounces ----------------------------------------------------------------


def _report_actions(message) -> set[str]:
    """The Action fields of a delivery report's per-recipient parts (failed, delayed,
    delivered, relayed, expanded)."""
    actions = set()
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            blocks = payload if isinstance(payload, list) else []
            for block in blocks:
                action = str(block.get("Action", "")).strip().lower()
                if action:
                    actions.add(action)
            if not blocks:  # read as text by a lenient parser
                text = part_text(part) if not part.is_multipart() else ""
                actions.update(a.lower() for a in re.findall(r"(?im)^action:\s*(\w+)", text))
    return actions


def _record_returned(row: InboundMessage, message, email_id: int, now: datetime) -> None:
    """Mail to the signed return path of one of our emails: a failure report (or a
    non-standard bounce from a null sender) marks that email bounced; anything else there
    (an out-of-office answer, a delay notice) changes nothing."""
    row.status = Status.BOUNCE
    actions = _report_actions(message) if is_delivery_report(message) else set()
    null_sender = row.envelope_from.strip() in ("", "<>")
    failed = "failed" in actions or (not actions and null_sender and not is_out_of_office(message))
    if not failed:
        row.reason = "mail to a return path that reports no failure"
        return
    email = OutboundEmail.objects.filter(pk=email_id).first()
    if email is None:
        row.reason = "delivery report about an email no longer kept"
        return
    _mark_bounced(row, email, now)


def _record_bounce(row: InboundMessage, message, now: datetime) -> None:
    """A delivery report sent to a department's address: believed only when it names a
    Message-ID this product sent and reports a failure; nothing is guessed."""
    row.status = Status.BOUNCE
    if "failed" not in _report_actions(message):
        row.reason = "delivery report without a failure"
        return
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
    message_id = str(original or "").strip()
    email = OutboundEmail.objects.filter(message_id=message_id).first() if message_id else None
    if email is None:
        row.reason = "delivery report about an unknown message"
        return
    _mark_bounced(row, email, now)


def _mark_bounced(row: InboundMessage, email: OutboundEmail, now: datetime) -> None:
    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.BOUNCED)
    if email.user_id:
        get_user_model().objects.filter(pk=email.user_id, email__iexact=email.to_address).update(
            email_bounced_at=now
        )
    row.ticket_id = None
    row.reason = f"bounced: {email.to_address}"
