"""Mail to the help desk's addresses becomes tickets and replies: what transport (the mail
app) hands over once a message is stored, addressed to a department and authenticated."""

import re
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from sportello.accounts.models import Client
from sportello.core.models import Provider
from sportello.mail.actions import queue_rendered, render_email, reply_footer, with_footer
from sportello.mail.message import clean, message_text, split_reply
from sportello.mail.models import AutoReply, InboundMessage, MailSettings, OutboundEmail
from sportello.mail.processing import InboundHandler, Quarantine, register_handler

from .actions import check_attachment, notify_client, open_ticket, reply_as_client
from .models import Category, Department, HelpdeskSettings, Ticket

Status = InboundMessage.Status

CODE = re.compile(r"\b([A-Z]{3}-\d{3}-\d{5})\b")
THREAD_CODE = re.compile(r"<ticket\.([A-Z]{3}-\d{3}-\d{5})@")
REPLY_PREFIX = re.compile(r"^\s*(\[[^\]]*\]\s*)*((re|r|fwd?|i|rv|aw|tr|wg)\s*:\s*)+", re.I)


def deliver(row, message, sender, department, automatic, mail_settings, now) -> None:
    client = (
        Client.objects.select_related("owner", "tier")
        .filter(owner__email__iexact=sender, owner__is_active=True)
        .first()
    )
    if client is None or not client.may_use_helpdesk:
        # Nothing about any account is revealed: the same short answer for everyone.
        row.status, row.reason = Status.REFUSED, "not the registered address of a help-desk account"
        if not automatic:
            refuse_unknown_sender(sender, now)
        return
    body, quoted = split_reply(message_text(message))
    attachments, dropped = message_attachments(message, mail_settings)
    ticket = find_ticket(message)
    if ticket is not None and ticket.client_id != client.pk:
        raise Quarantine(f"the ticket {ticket.code} belongs to another account")
    if ticket is not None:
        _reply(row, ticket, client, body, quoted, attachments, mail_settings, automatic, now)
    else:
        _new_ticket(row, client, department, body, quoted, attachments, automatic, now)
    if dropped and not automatic:
        notify_client(
            row.ticket,
            "attachments_dropped",
            {
                "ticket": row.ticket,
                "dropped": dropped,
                "limit_kb": mail_settings.attachments_max_kb,
            },
        )


def _new_ticket(row, client, department, body, quoted, attachments, automatic, now):

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
        acknowledge=not automatic,
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


def department_category(department):

    return Category.objects.filter(department=department, active=True).first()


def departments_by_address() -> dict:

    departments = Department.objects.exclude(email="").select_related("email_category")
    return {d.email.lower(): d for d in departments}


def department_for(address: str):

    return Department.objects.filter(email__iexact=address.strip()).first()


def message_attachments(message, mail_settings) -> tuple[list, list[dict]]:
    """The files kept (in order, within the total size limit and the accepted types) and the
    ones dropped with the reason."""

    helpdesk = HelpdeskSettings.current()
    budget = mail_settings.attachments_max_kb * 1024
    kept, dropped = [], []
    for number, part in enumerate(message.iter_attachments(), 1):
        name = clean(part.get_filename() or f"attachment-{number}.bin")
        try:
            content = part.get_content()
        except Exception:
            content = part.get_payload(decode=True) or b""
        if isinstance(content, str):
            content = content.encode("utf-8")
        elif not isinstance(content, bytes):  # an attached message
            content = bytes(content) if hasattr(content, "__bytes__") else str(content).encode()
        upload = SimpleUploadedFile(name[:200], content, part.get_content_type())
        try:
            check_attachment(upload, helpdesk)
        except ValidationError:
            dropped.append({"name": name, "reason": "type"})
            continue
        if len(content) > budget:
            dropped.append({"name": name, "reason": "size"})
            continue
        budget -= len(content)
        kept.append(upload)
    return kept, dropped


def find_ticket(message):
    """The ticket a reply belongs to: by a Message-ID this help desk sent, or by the code in
    the subject. The caller checks that the sender is the ticket's account."""

    ids = " ".join(str(message.get(h, "")) for h in ("In-Reply-To", "References"))
    codes = THREAD_CODE.findall(ids)
    message_ids = re.findall(r"<[^<>\s]+>", ids)
    if not codes and message_ids:
        threads = OutboundEmail.objects.filter(message_id__in=message_ids[:50]).values_list(
            "thread_id", flat=True
        )
        codes = THREAD_CODE.findall(" ".join(threads))
    codes += CODE.findall(str(message.get("Subject", "")))
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
