"""Delivery of queued email over SMTP, with retries and backoff."""

import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from email.charset import BASE64, Charset
from email.header import Header

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, Value, When
from django.db.models.functions import Cast, Concat

from sportello.core.models import settings_read_once

from . import verp
from .models import EmailAttachment, OutboundEmail

log = logging.getLogger(__name__)

# A row left in SENDING this long belongs to a worker that died mid-send.
STALE_SENDING = timedelta(minutes=10)


def message_id_domain() -> str:
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >")


def backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 240))


# How an invoice attached by reference becomes a PDF, set by billing when it loads: the
# sender renders it outside the transaction that issued the invoice, and transport
# imports nothing of billing.
_invoice_renderer: list[Callable[[object], bytes]] = []


def register_invoice_renderer(render: Callable[[object], bytes]) -> None:
    _invoice_renderer[:] = [render]


def attachment_content(attachment) -> bytes:
    if attachment.invoice_id and not attachment.content:
        attachment.content = _invoice_renderer[0](attachment.invoice)
        attachment.save(update_fields=["content"])
    return bytes(attachment.content)


# UTF-8 headers in base64 encoded-words.
UTF8_HEADER = Charset("utf-8")
UTF8_HEADER.header_encoding = BASE64


def encoded_subject(subject: str) -> str:
    """The subject as RFC 2047 encoded-words on one line. Left to Django, a non-ASCII
    subject is encoded by weighing quoted-printable against base64 at every character,
    which cost more than all the rest of sending an email."""
    if subject.isascii():
        return subject
    return Header(subject, UTF8_HEADER, header_name="Subject").encode(linesep=" ")


def headers(email: OutboundEmail) -> dict:
    """Its own Message-ID, the thread's first message as In-Reply-To and References (a
    reply carries both back), the department's address as Reply-To, and for news the
    one-click unsubscribe (RFC 8058). The envelope sender is the VERP return path."""
    result = {
        "From": email.from_email or settings.DEFAULT_FROM_EMAIL,
        "Message-ID": email.message_id,
        "Auto-Submitted": "auto-generated",
    }
    if email.thread_id and email.thread_id != email.message_id:
        result["In-Reply-To"] = result["References"] = email.thread_id
    if email.reply_to:
        result["Reply-To"] = email.reply_to
    if email.list_unsubscribe:
        result["List-Unsubscribe"] = f"<{email.list_unsubscribe}>"
        result["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        result["Precedence"] = "bulk"
    return result


class Relay:
    """One SMTP connection for a run of emails: opened for the first, opened again after a
    failure, closed at the end."""

    def __init__(self):
        self.connection = None

    def send(self, message) -> None:
        if self.connection is None:
            self.connection = get_connection()
            self.connection.open()
        try:
            self.connection.send_messages([message])
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # the server went away already
                pass
            self.connection = None


def deliver(email_id: int, now: datetime) -> bool:
    """Send one email if it is due."""
    return deliver_all([email_id], now) == 1


def deliver_all(email_ids, now: datetime) -> int:
    """Emails queued together, sent over one connection (opened only if one is due); the
    number sent. They are claimed, and their outcome recorded, a chunk at a time."""
    relay = Relay()
    sent = 0
    try:
        with settings_read_once():
            for start in range(0, len(email_ids), CLAIM_CHUNK):
                claimed = _claim(email_ids[start : start + CLAIM_CHUNK], now)
                sent += _send_and_record(claimed, now, relay)
    finally:
        relay.close()
    return sent


# Emails claimed, sent and recorded together: three queries a chunk instead of three an
# email. A worker that stops mid-chunk leaves at most this many `sending`, sent again
# once STALE_SENDING has passed.
CLAIM_CHUNK = 50


def _claim(email_ids, now: datetime) -> Sequence[OutboundEmail]:
    """The due emails among `email_ids`, marked `sending` in one transaction. Rows another
    worker holds are skipped, and only `queued` rows are taken, so two workers, or a task
    and the sweeper, never both send an email."""
    with transaction.atomic():
        due = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            # Most emails have no attachment: whether one does comes with the row.
            .annotate(has_attachments=Exists(EmailAttachment.objects.filter(email=OuterRef("pk"))))
            .filter(pk__in=email_ids, status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now)
            .order_by("pk")
        )
        claimed = list(due)
        if claimed:
            # An email without a Message-ID gets one as it is claimed, written by the same
            # statement for the whole chunk: <its id.a token of the chunk@our domain>.
            suffix = f".{secrets.token_hex(8)}@{message_id_domain()}>"
            new_id = Concat(Value("<"), Cast("pk", CharField()), Value(suffix))
            OutboundEmail.objects.filter(pk__in=[email.pk for email in claimed]).update(
                status=OutboundEmail.Status.SENDING,
                next_attempt_at=now,
                message_id=Case(When(message_id="", then=new_id), default=F("message_id")),
            )
            for email in claimed:
                email.message_id = email.message_id or f"<{email.pk}{suffix}"
    return claimed


def _send_and_record(emails: Sequence[OutboundEmail], now: datetime, relay: Relay) -> int:
    sent: list[int] = []
    try:
        sent.extend(email.pk for email in emails if _send(email, now, relay))
    finally:  # what went out is recorded whatever stopped the chunk: never sent twice
        OutboundEmail.objects.filter(pk__in=sent).update(
            status=OutboundEmail.Status.SENT, sent_at=now, last_error="", attempts=F("attempts") + 1
        )
    return len(sent)


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=encoded_subject(email.subject),
        body=email.body_text,
        from_email=verp.return_path(email.pk),
        to=[email.to_address],
        headers=headers(email),
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    # A claimed email says whether it has attachments (`_claim`'s annotation).
    for attachment in email.attachments.all() if getattr(email, "has_attachments", True) else ():
        message.attach(attachment.filename, attachment_content(attachment), attachment.content_type)
    return message


def _send(email: OutboundEmail, now: datetime, relay: Relay) -> bool:
    """One claimed email over the relay; a failure is recorded at once, with its retry,
    a success with the rest of the chunk."""
    email.attempts += 1
    try:
        relay.send(_message(email))
    # Any SMTP or network failure, or an attachment that could not be made (an invoice's
    # PDF): retried later, and given up after OUTBOX_MAX_ATTEMPTS.
    except Exception as error:
        log.warning("email %s not sent: %s", email.pk, error)
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            email.status = OutboundEmail.Status.FAILED
        else:
            email.status = OutboundEmail.Status.QUEUED
            email.next_attempt_at = now + backoff(email.attempts)
        email.save(update_fields=["attempts", "status", "next_attempt_at", "last_error"])
        return False
    return True
