"""Mail to the help desk's addresses becomes tickets and replies: what transport (the mail
app) hands over once a message is stored, addressed to a department and authenticated."""

import re
import unicodedata
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportello.accounts.models import Client
from sportello.core.models import Provider, read_once
from sportello.mail.actions import queue_rendered, render_email, reply_footer, with_footer
from sportello.mail.message import ThreadingHeaders, clean, read_body, split_reply
from sportello.mail.models import AutoReply, InboundMessage, MailSettings, OutboundEmail
from sportello.mail.processing import (
    Busy,
    InboundHandler,
    Quarantine,
    batched,
    register_handler,
)

from .actions import (
    MB,
    check_attachment,
    notify_client,
    open_ticket,
    record_automatic_mail,
    reply_as_client,
)
from .models import Attachment, Category, Department, HelpdeskSettings, Ticket

Status = InboundMessage.Status

CODE = re.compile(r"\b([A-Z]{3}-\d{3}-\d{5})\b")
THREAD_CODE = re.compile(r"<ticket\.([A-Z]{3}-\d{3}-\d{5})@")
REPLY_PREFIX = re.compile(r"^\s*(\[[^\]]*\]\s*)*((re|r|fwd?|i|rv|aw|tr|wg)\s*:\s*)+", re.I)


def deliver(row, message, sender, department, automatic, mail_settings, now,
            threading: ThreadingHeaders | None = None) -> None:  # fmt: skip
    threading = threading or ThreadingHeaders(message, None)
    client = (
        Client.objects.select_related("owner", "tier")
        .filter(owner__email__iexact=sender, owner__is_active=True)
        .first()
    ) or (
        # An account contact allowed to open tickets writes for that account.
        Client.objects.select_related("owner", "tier")
        .filter(
            contacts__email__iexact=sender, contacts__may_open_tickets=True,
            owner__is_active=True,
        )
        .first()
    )  # fmt: skip
    if client is None or not client.may_use_helpdesk:
        # Nothing about any account is revealed: the same short answer for everyone.
        row.status, row.reason = Status.REFUSED, "not the registered address of a help-desk account"
        if not automatic:
            refuse_unknown_sender(sender, now)
        return
    text, unreadable = read_body(message)
    body, quoted = split_reply(text) if text else (unreadable_text(), "")
    ticket = find_ticket(threading)
    if ticket is not None and ticket.client_id != client.pk:
        raise Quarantine(f"the ticket {ticket.code} belongs to another account", "other_account")
    while ticket is not None and ticket.merged_into_id:
        ticket = ticket.merged_into
    if ticket is not None and batched() and not held_now(ticket):
        raise Busy(f"the ticket {ticket.code} is held by another batch")
    attachments, dropped = message_attachments(message, mail_settings, ticket)
    if ticket is not None and automatic:
        # An out-of-office answer, a list's or a robot's mail about a ticket: kept for staff,
        # never answered, and the ticket's status and clocks stay as they were.
        row.ticket = ticket
        record_automatic_mail(ticket, client.owner, body, now, attachments=attachments,
                              quoted=quoted, source=row)  # fmt: skip
        row.status, row.reason = Status.REPLIED, "automatic mail, kept as an internal note"
        return
    if ticket is not None:
        _reply(row, ticket, client, body, quoted, attachments, mail_settings, automatic, now)
    else:
        _new_ticket(row, client, department, body, quoted, attachments,
                    automatic or bool(unreadable), now)  # fmt: skip
    if unreadable and not automatic and row.status in (Status.CREATED, Status.REPLIED):
        notify_client(row.ticket, "text_unreadable", {"why": unreadable},
                      first=row.status == Status.CREATED)  # fmt: skip
    if dropped and not automatic:
        helpdesk = HelpdeskSettings.current()
        notify_client(
            row.ticket,
            "attachments_dropped",
            {
                "ticket": row.ticket,
                "dropped": dropped,
                "limit_kb": min(
                    mail_settings.attachments_max_kb, helpdesk.message_attachments_max_mb * 1024
                ),
                "file_mb": helpdesk.attachment_max_mb,
            },
        )


def held_now(ticket: Ticket) -> bool:
    """The ticket's row lock, taken now or not at all: SKIP LOCKED gives nothing when
    another transaction holds it (this one already holding it gets the row)."""
    held = Ticket.objects.select_for_update(skip_locked=True).filter(pk=ticket.pk)
    return held.values_list("pk", flat=True).first() is not None


def _new_ticket(row, client, department, body, quoted, attachments, quiet, now):
    """`quiet`: no acknowledgement (automatic mail, or a text that could not be read, which
    gets its own notice)."""
    subject = REPLY_PREFIX.sub("", row.subject).strip() or "(no subject)"
    category = department.email_category or department_category(department)
    if category.department_id == department.pk:
        category.department = department  # already read: no second query
    row.ticket = open_ticket(
        client,
        category=category,
        subject=subject[:200],
        body=body,
        now=now,
        channel=Ticket.Channel.EMAIL,
        attachments=attachments,
        acknowledge=not quiet,
        quoted=quoted,
        source=row,
    )
    row.status = Status.CREATED


def _reply(row, ticket, client, body, quoted, attachments, mail_settings, automatic, now):

    while ticket.merged_into_id:
        ticket = ticket.merged_into
    row.ticket = ticket
    if mail_settings.email_replies == MailSettings.Replies.REFUSE:
        row.status, row.reason = Status.REFUSED, "email replies are answered from the panel"
        if not automatic:
            notify_client(ticket, "reply_in_panel")
        return
    try:
        reply_as_client(ticket, client.owner, body, now, attachments=attachments, quoted=quoted,
                        source=row)  # fmt: skip
    except ValidationError as error:  # e.g. closed too long ago: the mail starts a new ticket
        row.reason = error.messages[0][:300]
        _new_ticket(row, client, ticket.department, body, quoted, attachments, automatic, now)
        return
    row.status = Status.REPLIED


def unreadable_text() -> str:
    """What a ticket shows for an email whose text could not be read, in the provider's
    language (the client is told in theirs)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("(The text of this email could not be read: it was encrypted, or it held "
                 "only attachments.)")  # fmt: skip


def department_category(department):

    return Category.objects.filter(department=department, active=True).first()


def departments_by_address() -> dict:
    def load() -> dict:
        departments = Department.objects.exclude(email="").select_related("email_category")
        return {d.email.lower(): d for d in departments}

    return read_once("helpdesk.departments_by_address", load)


def department_for(address: str):

    return Department.objects.filter(email__iexact=address.strip()).first()


def safe_filename(name: str, number: int) -> str:
    """A name any file system and page can hold: the last path component, without control,
    format (bidi) or unassigned characters, at most 120 characters with its extension; the
    original may be anything a sender wrote."""
    name = unicodedata.normalize("NFC", clean(name))
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(
        c for c in name if c == " " or not unicodedata.category(c).startswith(("C", "Z"))
    )
    name = " ".join(name.split()).strip(". ")
    stem, dot, extension = name.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,10}", extension):
        stem, extension = name, ""
    stem = stem[: 120 - len(extension) - 1].rstrip(". ")
    if not stem:
        return f"attachment-{number}.{extension or 'bin'}"
    return f"{stem}.{extension}" if extension else stem


def message_attachments(message, mail_settings, ticket=None) -> tuple[list, list[dict]]:
    """The files kept (in order, within the limits) and the ones dropped with the reason:
    "file" (over the limit for one file), "type", "size" (over what one email may bring)
    or "ticket" (the ticket's attachments are full). A reply never fails for its files."""

    helpdesk = HelpdeskSettings.current()
    budget = min(mail_settings.attachments_max_kb * 1024, helpdesk.message_attachments_max_mb * MB)
    room = None  # what the ticket still holds, read at the first file
    kept, dropped = [], []
    for number, part in enumerate(message.iter_attachments(), 1):
        if room is None:
            room = helpdesk.ticket_attachments_max_mb * MB
            if ticket is not None:
                used = Attachment.objects.filter(message__ticket=ticket).aggregate(Sum("size"))
                room -= used["size__sum"] or 0
        try:
            original = str(part.get_filename() or "")
        except Exception:  # an undecodable name is only a name
            original = ""
        name = safe_filename(original, number)
        try:
            content = part.get_content()
        except Exception:
            content = part.get_payload(decode=True) or b""
        if isinstance(content, str):
            content = content.encode("utf-8")
        elif not isinstance(content, bytes):  # an attached message
            content = bytes(content) if hasattr(content, "__bytes__") else str(content).encode()
        upload = SimpleUploadedFile(name, content, clean(part.get_content_type())[:100])
        reason = ""
        if len(content) > helpdesk.attachment_max_mb * MB:
            reason = "file"
        else:
            try:
                check_attachment(upload, helpdesk)
            except ValidationError:
                reason = "type"
        if not reason and len(content) > budget:
            reason = "size"
        if not reason and len(content) > room:
            reason = "ticket"
        if reason:
            dropped.append({"name": name, "reason": reason})
            continue
        budget -= len(content)
        room -= len(content)
        kept.append(upload)
    return kept, dropped


def find_ticket(headers: ThreadingHeaders):
    """The ticket a reply belongs to: by a Message-ID this help desk sent, or by the code in
    the subject, read from the signed headers only. The caller checks that the sender is
    the ticket's account."""

    ids = " ".join(headers.get(h) for h in ("In-Reply-To", "References"))
    codes = THREAD_CODE.findall(ids)
    message_ids = re.findall(r"<[^<>\s]+>", ids)
    if not codes and message_ids:
        threads = OutboundEmail.objects.filter(message_id__in=message_ids[:50]).values_list(
            "thread_id", flat=True
        )
        codes = THREAD_CODE.findall(" ".join(threads))
    codes += CODE.findall(headers.get("Subject"))
    for code in codes:
        ticket = Ticket.objects.filter(code=code).first()
        if ticket:
            return ticket
    return None


def refuse_unknown_sender(address: str, now: datetime) -> None:
    """One short answer a day per address: write from the registered address or use the
    panel. It reveals nothing about accounts."""
    try:
        with transaction.atomic():
            AutoReply.objects.create(address=address, day=timezone.localdate(now))
    except IntegrityError:
        return
    provider = Provider.current()
    context = {"provider": provider, "site_url": settings.SITE_URL}
    parts = []
    for language in ("it", "en", "es"):
        subject, text, markup = render_email("sender_refused", context, language, provider)
        parts.append((subject, *with_footer(text, markup, reply_footer("", language, False))))
    queue_rendered(
        to_address=address,
        template="sender_refused",
        subject=parts[0][0],
        body_text="\n\n— — —\n\n".join(text for _subject, text, _html in parts),
        body_html="<hr>".join(markup for _subject, _text, markup in parts),
        language="it",
    )


def register() -> None:
    register_handler(
        InboundHandler(
            addresses=departments_by_address,
            is_known=lambda address: department_for(address) is not None,
            deliver=deliver,
        )
    )
