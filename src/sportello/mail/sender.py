"""Delivery of queued email over SMTP, with retries and backoff."""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from email.charset import BASE64, Charset
from email.header import Header
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Exists, OuterRef, Q

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


def headers(email: OutboundEmail, message_id: str) -> dict:
    """Its own Message-ID, the thread's first message as In-Reply-To and References (a
    reply carries both back), the department's address as Reply-To, and for news the
    one-click unsubscribe (RFC 8058). The envelope sender is the VERP return path."""
    result = {
        "From": email.from_email or settings.DEFAULT_FROM_EMAIL,
        "Message-ID": message_id,
        "Auto-Submitted": "auto-generated",
    }
    if email.thread_id and email.thread_id != message_id:
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
    number sent."""
    relay = Relay()
    try:
        with settings_read_once():
            return sum(_claim_and_send(email_id, now, relay) for email_id in email_ids)
    finally:
        relay.close()


def _claim_and_send(email_id: int, now: datetime, relay: Relay) -> bool:
    """The compare-and-swap claim means two workers, or a task and the sweeper, never both
    send an email."""
    claimed = OutboundEmail.objects.filter(
        Q(status=OutboundEmail.Status.QUEUED) & Q(next_attempt_at__lte=now), pk=email_id
    ).update(status=OutboundEmail.Status.SENDING, next_attempt_at=now)
    return bool(claimed) and _send(email_id, now, relay)


def _send(email_id: int, now: datetime, relay: Relay) -> bool:
    # Most emails have no attachment: whether one does comes with the row, not in a query
    # of its own.
    email = OutboundEmail.objects.annotate(
        has_attachments=Exists(EmailAttachment.objects.filter(email=OuterRef("pk")))
    ).get(pk=email_id)
    email.attempts += 1
    message_id = email.message_id or make_msgid(domain=message_id_domain())
    message = EmailMultiAlternatives(
        subject=encoded_subject(email.subject),
        body=email.body_text,
        from_email=verp.return_path(email.pk),
        to=[email.to_address],
        headers=headers(email, message_id),
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments.all() if email.has_attachments else ():
        message.attach(attachment.filename, attachment_content(attachment), attachment.content_type)
    try:
        relay.send(message)
    except Exception as error:  # any SMTP or network failure: retry later
        log.warning("email %s not sent: %s", email_id, error)
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            email.status = OutboundEmail.Status.FAILED
        else:
            email.status = OutboundEmail.Status.QUEUED
            email.next_attempt_at = now + backoff(email.attempts)
        email.save(update_fields=["attempts", "status", "next_attempt_at", "last_error"])
        return False
    email.status = OutboundEmail.Status.SENT
    email.sent_at = now
    email.message_id = message_id
    email.last_error = ""
    email.save(update_fields=["attempts", "status", "sent_at", "message_id", "last_error"])
    return True
