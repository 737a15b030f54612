"""Help-desk operations. Each is one transaction; each records the ticket's history and
queues its notifications, which go to the account's registered address only (HD-6)."""

import re
import secrets
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Model, ProtectedError, Q, QuerySet, Sum
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from sportello.accounts.models import Client, User
from sportello.core import audit
from sportello.core.models import AuditEvent, read_once
from sportello.mail.actions import queue_to_client, queue_to_staff
from sportello.mail.models import InboundMessage
from sportello.services.models import Service

from .models import (
    AgentSignature,
    Attachment,
    CannedReply,
    Category,
    HeldRequest,
    HelpdeskSettings,
    Message,
    Priority,
    ReplyDraft,
    ResponseTarget,
    SavedFilter,
    Ticket,
    TicketPresence,
)
from .office import OfficeHours, due_after
from .signals import ticket_assigned, ticket_opened, ticket_status_changed

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    # A file from a form, or a part of an inbound email.
    Upload = UploadedFile[Any]

Action = AuditEvent.Action
Status = Ticket.Status

# Words that carry no meaning in a subject, so "richiesta di assistenza" is as generic as
# "richiesta assistenza".
FILLER_WORDS = {
    "di", "per", "il", "la", "lo", "un", "una", "mi", "con", "su", "ho",
    "de", "del", "para", "el", "los", "las", "por", "favor", "necesito",
    "the", "a", "an", "for", "with", "please", "need", "i", "my", "me", "request",
    "richiesta", "nuovo", "new", "nuevo", "solicitud", "urgent", "urgente",
}  # fmt: skip
DEFAULT_TARGETS = {"low": (8, 48), "normal": (4, 24), "high": (1, 12)}
MB = 1024 * 1024


# --- Rules ------------------------------------------------------------------------------


def support_level(client: Client) -> str:
    return client.services.support_level()


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.findall(r"[\w']+", plain)


# The invisible marks that reorder text on screen, so a subject cannot read backwards.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                                       "\u2066\u2067\u2068\u2069"))  # fmt: skip


def single_line(text: str) -> str:
    """A subject on one line, whatever channel it came from: it heads notifications and mail
    subjects, so line breaks and other control characters become spaces (a header or a
    second line cannot be slipped in), bidirectional overrides go, and runs of spaces
    become one."""
    text = text.translate(BIDI_CONTROLS)
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    return " ".join(text.split())


def is_generic_subject(subject: str, settings: HelpdeskSettings) -> bool:
    """A subject that says nothing about the problem: one of the provider's generic
    subjects, or only their words and filler words (HD-1)."""
    phrases = [" ".join(_words(line)) for line in settings.generic_subjects.splitlines()]
    phrases = [p for p in phrases if p]
    words = _words(subject)
    if not words or " ".join(words) in phrases:
        return True
    generic = {word for phrase in phrases for word in phrase.split()} | FILLER_WORDS
    return all(word in generic for word in words)


def file_too_large(name: str, settings: HelpdeskSettings) -> str:
    return _("«%(name)s» is larger than %(mb)s MB, the limit for one file.") % {
        "name": name, "mb": settings.attachment_max_mb,
    }  # fmt: skip


def message_too_large(name: str, settings: HelpdeskSettings) -> str:
    return _("«%(name)s» does not fit: the files of one message may total at most %(mb)s MB.") % {
        "name": name, "mb": settings.message_attachments_max_mb,
    }  # fmt: skip


# Uploads always have a name and a size; Django's types leave room for files without.
def _name(upload: "Upload") -> str:
    return upload.name or ""


def _size(upload: "Upload") -> int:
    return upload.size or 0


def check_attachment(upload: "Upload", settings: HelpdeskSettings) -> None:
    extension = PurePath(_name(upload)).suffix.lower().lstrip(".")
    if extension not in settings.allowed_extensions():
        raise ValidationError(
            _("%(name)s: this type of file is not accepted (accepted: %(types)s).")
            % {"name": upload.name, "types": ", ".join(sorted(settings.allowed_extensions()))}
        )
    if _size(upload) > settings.attachment_max_mb * MB:
        raise ValidationError(file_too_large(_name(upload), settings))


def check_attachments(attachments: Iterable["Upload"], settings: HelpdeskSettings,
                      ticket: Ticket | None = None) -> None:  # fmt: skip
    """Each file, the files of one message together and all the attachments of the ticket
    (`None` for a new one) together stay within the limits."""
    total = 0
    for upload in attachments:
        check_attachment(upload, settings)
        total += _size(upload)
        if total > settings.message_attachments_max_mb * MB:
            raise ValidationError(message_too_large(_name(upload), settings))
    if not total:
        return
    used = 0
    if ticket is not None:
        files = Attachment.objects.filter(message__ticket=ticket)
        used = files.aggregate(used=Sum("size"))["used"] or 0
    left = max(settings.ticket_attachments_max_mb * MB - used, 0)
    if total > left:
        raise ValidationError(
            _(
                "The attachments of one ticket may total at most %(mb)s MB: this ticket has "
                "room for %(left)s more, and these files are %(size)s."
            )
            % {
                "mb": settings.ticket_attachments_max_mb,
                "left": filesizeformat(left),
                "size": filesizeformat(total),
            }
        )


def new_code() -> str:
    """Like FPL-809-43017: random letters and digits, so codes reveal no volumes (HD-3)."""
    letters = "".join(secrets.choice(string.ascii_uppercase) for _ in range(3))
    return f"{letters}-{secrets.randbelow(900) + 100}-{secrets.randbelow(90000) + 10000}"


def office_of(ticket: Ticket, settings: HelpdeskSettings | None = None) -> OfficeHours | None:
    if ticket.round_the_clock:
        return None
    department = ticket.department
    country = (settings or HelpdeskSettings.current()).holiday_country
    return OfficeHours(department.opens_at, department.closes_at, country)


def target_hours(priority: str, level: str = "") -> tuple[int, int]:
    """(first answer, solution) hours for a priority under a support plan: the plan's own
    target, else the one for every plan, else the built-in default."""
    every = read_once("helpdesk.response_targets", lambda: list(ResponseTarget.objects.all()))
    targets = {
        target.support_level: target
        for target in every
        if target.priority == priority and target.support_level in (level, "")
    }
    target = targets.get(level) or targets.get("")
    if target is None:
        return DEFAULT_TARGETS[priority]
    return target.first_response_hours, target.resolution_hours


def set_targets(ticket: Ticket, start: datetime, settings: HelpdeskSettings | None = None, *,
                level: str = "") -> None:  # fmt: skip
    first, resolution = target_hours(ticket.priority, level)
    office = office_of(ticket, settings)
    ticket.first_response_due = due_after(start, first, office)
    ticket.resolution_due = due_after(start, resolution, office)


# --- Notifications ----------------------------------------------------------------------


def notify_client(ticket: Ticket, template: str, context: dict[str, Any] | None = None, *,
                  first: bool = False) -> None:  # fmt: skip
    """From the ticket's department's address, which takes the client's replies (HD-8);
    the first one's Message-ID is the ticket's thread, every later one refers to it."""
    thread = ticket.thread_id()
    queue_to_client(
        ticket.client,
        template,
        {"ticket": ticket, **(context or {})},
        message_id=thread if first else "",
        thread_id=thread,
        reply_to=ticket.department.email,
    )


def notify_staff(ticket: Ticket, message: Message | None, recipients: Iterable[User], *,
                 new: bool = False) -> None:  # fmt: skip
    """New tickets and client replies reach the assignee, or the department's staff, by
    email unless they chose to hear of them only in the browser."""
    by_email = [person for person in recipients if person.ticket_alerts != "browser"]
    queue_to_staff(by_email, "ticket_staff", {"ticket": ticket, "message": message, "new": new})


def staff_to_alert(ticket: Ticket) -> list[User]:
    if ticket.assignee is not None:
        return [ticket.assignee]
    department = ticket.department
    agents = read_once(
        ("helpdesk.agents", department.pk),
        lambda: list(department.agents.filter(is_active=True)),
    )
    return list(agents)


# --- Messages ---------------------------------------------------------------------------


def _add_message(ticket: Ticket, kind: str, author: User | None, body: str, now: datetime,
                 attachments: Sequence["Upload"] = (), *, quoted: str = "",
                 source: InboundMessage | None = None, event: str = "",
                 data: dict[str, Any] | None = None) -> Message:  # fmt: skip
    message = Message.objects.create(
        ticket=ticket,
        kind=kind,
        author=author,
        body=body,
        quoted=quoted,
        source=source,
        event=event,
        event_data=data if data is not None else {},
        created_at=now,
    )
    for upload in attachments:
        Attachment.objects.create(
            message=message,
            file=upload,
            filename=PurePath(_name(upload)).name[:200],
            content_type=getattr(upload, "content_type", "") or "application/octet-stream",
            size=_size(upload),
        )
    return message


def _event(ticket: Ticket, author: User | None, now: datetime, event: str, **data: str) -> Message:
    return _add_message(ticket, Message.Kind.EVENT, author, "", now, event=event, data=data)


def _check_attachments(attachments: Sequence["Upload"], settings: HelpdeskSettings | None = None,
                       ticket: Ticket | None = None) -> None:  # fmt: skip
    if not attachments:
        return
    check_attachments(attachments, settings or HelpdeskSettings.current(), ticket)


# --- Client side ------------------------------------------------------------------------


def open_ticket(client: Client, *, category: Category, subject: str, body: str, now: datetime,
                service: Service | None = None, priority: str = Priority.NORMAL,
                details: dict[str, Any] | None = None, attachments: Sequence["Upload"] = (),
                channel: str = Ticket.Channel.PANEL, user: User | None = None,
                request: HttpRequest | None = None, acknowledge: bool = True, quoted: str = "",
                source: InboundMessage | None = None) -> Ticket:  # fmt: skip
    """`acknowledge=False` for mail that no automatic answer may go to (loops)."""
    by_email = channel == Ticket.Channel.EMAIL
    subject = single_line(subject)
    # Upgrade requests are always possible (SRV-6); the rest needs a tier with the help desk.
    if not client.may_use_helpdesk and category.kind != Category.Kind.UPGRADE:
        raise ValidationError(_("Your plan does not include the help desk."))
    settings = HelpdeskSettings.current()
    # The panel's form rules; an email cannot be sent back to be rewritten.
    # Errors name their field, so a form shows each beside what is to correct.
    if not by_email and is_generic_subject(subject, settings):
        raise ValidationError(
            {
                "subject": _(
                    "Please write a subject that says what the problem is and where, for "
                    "example “Mail to info@example.it bounces with ‘mailbox full’”: a generic "
                    "subject cannot be routed to the right person."
                )
            }
        )
    if category.needs_service and service is None and not by_email:
        raise ValidationError({"service": _("Choose the service or domain this request is about.")})
    if service is not None and service.client_id != client.pk:
        raise ValidationError({"service": _("Choose one of your services.")})
    _check_attachments(attachments, settings)
    level = support_level(client)
    if level == "global":
        priority = Priority.HIGH  # global plan: priority and h24 (HD-4)
    elif category.kind == Category.Kind.OUTAGE and not by_email:
        priority = Priority.HIGH  # something of the client's is down (HD-15)
    elif channel == Ticket.Channel.EMAIL or priority not in (Priority.LOW, Priority.NORMAL):
        priority = Priority.LOW
    ticket = Ticket(
        client=client,
        opened_by=user or client.owner,
        department=category.department,
        category=category,
        service=service,
        subject=subject,
        details=details or {},
        priority=priority,
        channel=channel,
        round_the_clock=level == "global",
        created_at=now,
        last_activity_at=now,
    )
    set_targets(ticket, now, settings, level=level)
    for _attempt in range(5):
        ticket.code = new_code()
        try:
            with transaction.atomic():
                ticket.save()
                message = _add_message(
                    ticket, Message.Kind.CLIENT, ticket.opened_by, body, now, attachments,
                    quoted=quoted, source=source,
                )  # fmt: skip
                audit.record(Action.TICKET_OPENED, request=request, client=client,
                             detail=f"{ticket.code} {ticket.subject}")  # fmt: skip
                if acknowledge:
                    notify_client(ticket, "ticket_opened", {"message": message}, first=True)
                notify_staff(ticket, message, staff_to_alert(ticket), new=True)
                ticket_opened.send(sender=Ticket, ticket=ticket, now=now)
                return ticket
        except IntegrityError:
            ticket.pk = None  # the code was taken: draw another
    raise RuntimeError("no free ticket code after 5 draws")


@transaction.atomic
def reply_as_client(ticket: Ticket, user: User, body: str, now: datetime,
                    attachments: Sequence["Upload"] = (), *, quoted: str = "",
                    source: InboundMessage | None = None) -> Message:  # fmt: skip
    # With what the staff alert names, locking only the ticket's row.
    ticket = (
        Ticket.objects.select_related("client", "department", "category")
        .select_for_update(of=("self",))
        .get(pk=ticket.pk)
    )
    if ticket.status == Status.MERGED:
        assert ticket.merged_into is not None  # set whenever a ticket is merged
        raise ValidationError(_("This ticket was merged into %(code)s: write there.")
                              % {"code": ticket.merged_into.code})  # fmt: skip
    if ticket.status == Status.CLOSED:
        assert ticket.closed_at is not None  # set whenever a ticket is closed
        limit = ticket.closed_at + timedelta(days=HelpdeskSettings.current().reopen_days)
        if now > limit:
            raise ValidationError(
                _("This ticket was closed too long ago to be reopened: please open a new one.")
            )
    if not body.strip():
        raise ValidationError(_("Write a message."))
    _check_attachments(attachments, ticket=ticket)
    reopened = ticket.status in (Status.CLOSED, Status.WAITING)
    message = _add_message(
        ticket, Message.Kind.CLIENT, user, body, now, attachments, quoted=quoted, source=source
    )
    if ticket.status == Status.CLOSED:
        _event(ticket, user, now, "reopened")
    ticket.status = Status.OPEN if ticket.first_responded_at else Status.NEW
    ticket.waiting_since = ticket.closed_at = None
    ticket.last_activity_at = now
    ticket.save()
    if reopened:
        notify_client(ticket, "ticket_status", {"change": "reopened"})
    notify_staff(ticket, message, staff_to_alert(ticket))
    return message


@transaction.atomic
def close_as_client(ticket: Ticket, user: User, now: datetime) -> Ticket:
    """The client says the problem is solved. Staff are not alerted: nothing is asked of
    them; a reply within the reopening days opens it again."""
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if ticket.status not in Ticket.OPEN_STATUSES:
        raise ValidationError(_("This ticket is already closed."))
    _change_status(ticket, user, Status.CLOSED, now, quiet=True)
    ticket.last_activity_at = now
    ticket.save()
    return ticket


def may_rate(ticket: Ticket) -> bool:
    """Only answers can be rated: a ticket staff have written on."""
    return ticket.first_responded_at is not None and ticket.status != Status.MERGED


@transaction.atomic
def rate_answers(ticket: Ticket, user: User, score: int, now: datetime) -> Ticket:
    """One click: good, fair or poor; a later click changes it."""
    if score not in (1, 2, 3):
        raise ValidationError(_("Choose good, fair or poor."))
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if not may_rate(ticket):
        raise ValidationError(_("You can rate a ticket once we have answered it."))
    ticket.satisfaction = score
    ticket.rated_at = now
    ticket.save(update_fields=["satisfaction", "rated_at"])
    _event(ticket, user, now, "rated", score=str(score))
    return ticket


def expected_first_answers(round_the_clock: bool = False) -> list[tuple[str, str, int]]:
    """(priority, its label, hours) of the first-answer targets, shown before a ticket is
    opened; working hours unless the plan is round the clock."""
    targets = dict(
        ResponseTarget.objects.filter(support_level="").values_list(
            "priority", "first_response_hours"
        )
    )
    return [
        (value, str(label), targets.get(value, DEFAULT_TARGETS[value][0]))
        for value, label in Priority.choices
    ]


@transaction.atomic
def decide_held_request(held: HeldRequest, user: User, confirmed: bool, now: datetime,
                        request: HttpRequest | None = None) -> HeldRequest:  # fmt: skip
    held = HeldRequest.objects.select_for_update().select_related("ticket").get(pk=held.pk)
    if held.status != HeldRequest.Status.PENDING:
        raise ValidationError(_("This request has already been answered."))
    held.status = HeldRequest.Status.CONFIRMED if confirmed else HeldRequest.Status.REJECTED
    held.decided_at = now
    held.save()
    ticket = held.ticket
    _event(ticket, user, now, "request_" + held.status, description=held.description)
    audit.record(
        Action.REQUEST_CONFIRMED if confirmed else Action.REQUEST_REJECTED,
        request=request, client=ticket.client, detail=f"{ticket.code} {held.description}",
    )  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk).update(last_activity_at=now, status=Status.OPEN)
    notify_staff(ticket, ticket.messages.last(), staff_to_alert(ticket))
    return held


# --- Staff side -------------------------------------------------------------------------


@transaction.atomic
def reply_as_staff(ticket: Ticket, staff: User, body: str, now: datetime, *,
                   then: str = Status.OPEN,
                   attachments: Sequence["Upload"] = ()) -> Message:  # fmt: skip
    """A public answer; `then` is the status it leaves: in progress, waiting for the
    client (HD-14) or closed."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Status.MERGED:
        assert ticket.merged_into is not None  # set whenever a ticket is merged
        raise ValidationError(_("This ticket was merged: answer in %(code)s.")
                              % {"code": ticket.merged_into.code})  # fmt: skip
    if not body.strip():
        raise ValidationError(_("Write a message."))
    _check_attachments(attachments, ticket=ticket)
    body = with_signature(body, staff, ticket.client.language)
    message = _add_message(ticket, Message.Kind.STAFF, staff, body, now, attachments)
    ticket.first_responded_at = ticket.first_responded_at or now
    if ticket.assignee_id is None:
        ticket.assignee = staff
    _change_status(ticket, staff, then, now, quiet=True)
    ticket.last_activity_at = now
    ticket.save()
    notify_client(ticket, "ticket_reply", {"message": message, "change": then})
    ReplyDraft.objects.filter(ticket=ticket, agent=staff).delete()  # sent: nothing left to keep
    return message


@transaction.atomic
def record_automatic_mail(ticket: Ticket, user: User, body: str, now: datetime, *,
                          attachments: Sequence["Upload"] = (), quoted: str = "",
                          source: InboundMessage | None = None) -> Message:  # fmt: skip
    """Automatic mail from the client's address about a ticket (an out-of-office answer, a
    robot's report): an internal note by the client's login. It never reopens the ticket,
    never changes its status or clocks, and nobody is notified (RFC 3834: no loops)."""
    return _add_message(ticket, Message.Kind.NOTE, user, body, now, attachments, quoted=quoted,
                        source=source)  # fmt: skip


@transaction.atomic
def add_note(ticket: Ticket, staff: User, body: str, now: datetime,
             attachments: Sequence["Upload"] = ()) -> Message:  # fmt: skip
    if not body.strip():
        raise ValidationError(_("Write a message."))
    if attachments:
        # Locked, so two uploads at once cannot both fit in the ticket's last room.
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        _check_attachments(attachments, ticket=ticket)
    message = _add_message(ticket, Message.Kind.NOTE, staff, body, now, attachments)
    Ticket.objects.filter(pk=ticket.pk).update(last_activity_at=now)
    return message


def _change_status(ticket: Ticket, author: User | None, status: str, now: datetime, *,
                   quiet: bool = False) -> bool:  # fmt: skip
    """Set the status and record it; `quiet` when the notification is the reply's."""
    if ticket.status == status:
        return False
    if status == Status.OPEN and not ticket.first_responded_at:
        status = Status.NEW if ticket.status == Status.NEW else Status.OPEN
    ticket.status = status
    ticket.waiting_since = now if status == Status.WAITING else None
    ticket.closed_at = now if status == Status.CLOSED else None
    _event(ticket, author, now, "status", status=status)
    if not quiet:
        notify_client(ticket, "ticket_status", {"change": status})
    ticket_status_changed.send(sender=Ticket, ticket=ticket, status=status, author=author, now=now)
    return True


@transaction.atomic
def set_status(ticket: Ticket, staff: User, status: str, now: datetime) -> Ticket:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.status == Status.MERGED or status not in (
        Status.OPEN, Status.WAITING, Status.CLOSED
    ):  # fmt: skip
        raise ValidationError(_("This status cannot be set here."))
    if _change_status(ticket, staff, status, now):
        ticket.last_activity_at = now
        ticket.save()
    return ticket


@transaction.atomic
def assign(ticket: Ticket, staff: User, assignee: User | None, now: datetime) -> Ticket:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if assignee is not None and not (
        assignee.is_admin or assignee.departments.filter(pk=ticket.department_id).exists()
    ):
        raise ValidationError(_("%(name)s does not work in this department.")
                              % {"name": assignee.get_full_name() or assignee.email})  # fmt: skip
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee"])
    name = (assignee.get_full_name() or assignee.email) if assignee else ""
    _event(ticket, staff, now, "assigned", to=name)
    ticket_assigned.send(sender=Ticket, ticket=ticket, assignee=assignee, staff=staff, now=now)
    return ticket


@transaction.atomic
def set_priority(ticket: Ticket, staff: User, priority: str, now: datetime) -> Ticket:
    """A new priority brings the targets of that priority: both due times are counted again
    from the ticket's opening. Tickets of the global plan stay high (HD-4)."""
    ticket = (
        Ticket.objects.select_for_update().select_related("client", "department").get(pk=ticket.pk)
    )
    if priority not in Priority.values:
        raise ValidationError(_("Choose a priority."))
    if ticket.status not in Ticket.OPEN_STATUSES:
        raise ValidationError(_("The ticket is closed."))
    if ticket.round_the_clock and priority != Priority.HIGH:
        raise ValidationError(_("Tickets of the global support plan keep high priority."))
    ticket.priority = priority
    set_targets(ticket, ticket.created_at, level=support_level(ticket.client))
    ticket.save(update_fields=["priority", "first_response_due", "resolution_due"])
    _event(ticket, staff, now, "priority", priority=priority)
    return ticket


BULK_OPERATIONS = ("assign", "move", "priority", "close")


def apply_in_bulk(ticket: Ticket, staff: User, operation: str, now: datetime, *,
                  assignee: User | None = None, category: Category | None = None,
                  priority: str = "", reason: str = "",
                  request: HttpRequest | None = None) -> bool:  # fmt: skip
    """One ticket of a bulk action from the queue, in its own transaction: the same action
    as on the ticket page (its rules, history and notices) and an audit row. False when the
    ticket already was as asked; a rule that refuses raises ValidationError."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("client").get(pk=ticket.pk)
        if operation == "close":
            if ticket.status == Status.CLOSED:
                return False
            set_status(ticket, staff, Status.CLOSED, now)
            detail = "closed"
        elif operation == "assign":
            if ticket.assignee_id == (assignee.pk if assignee else None):
                return False
            if ticket.status == Status.MERGED:
                raise ValidationError(_("This ticket has already been merged."))
            assign(ticket, staff, assignee, now)
            detail = f"assigned to {assignee.email if assignee else '-'}"
        elif operation == "move":
            assert category is not None
            if ticket.category_id == category.pk:
                return False
            if ticket.status == Status.MERGED:
                raise ValidationError(_("This ticket has already been merged."))
            move(ticket, staff, category, reason, now, request=request)
            detail = f"moved to {category.code}"
        elif operation == "priority":
            if ticket.priority == priority:
                return False
            set_priority(ticket, staff, priority, now)
            detail = f"priority {priority}"
        else:
            raise ValueError(operation)
        audit.record(Action.TICKETS_CHANGED_IN_BULK, request=request, actor=staff,
                     client=ticket.client, detail=f"{ticket.code}: {detail}")  # fmt: skip
    return True


@transaction.atomic
def move(ticket: Ticket, staff: User, category: Category, note: str, now: datetime,
         request: HttpRequest | None = None) -> Ticket:  # fmt: skip
    """A wrong category is corrected by staff, with a note on why (HD-10); the ticket goes
    to the new category's department and leaves its assignee behind if they are not there."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if not note.strip():
        raise ValidationError(_("Say why the ticket is moved."))
    old = ticket.category
    ticket.category = category
    ticket.department = category.department
    if ticket.assignee is not None and not (
        ticket.assignee.is_admin
        or ticket.assignee.departments.filter(pk=category.department_id).exists()
    ):
        ticket.assignee = None
    ticket.save()
    _event(ticket, staff, now, "moved", old=old.label, new=category.label)
    _add_message(ticket, Message.Kind.NOTE, staff, note, now)
    audit.record(Action.TICKET_MOVED, request=request, client=ticket.client,
                 detail=f"{ticket.code} {old.code} → {category.code}")  # fmt: skip
    notify_staff(ticket, ticket.messages.last(), staff_to_alert(ticket))
    return ticket


@transaction.atomic
def merge(source: Ticket, target: Ticket, staff: User, now: datetime,
          request: HttpRequest | None = None) -> Ticket:  # fmt: skip
    """A duplicate of the same incident goes into the other ticket (HD-5): its messages and
    attachments move, it stays as a pointer, and the client is told."""
    source, target = (
        Ticket.objects.select_for_update().get(pk=source.pk),
        Ticket.objects.select_for_update().get(pk=target.pk),
    )
    if source.pk == target.pk or source.client_id != target.client_id:
        raise ValidationError(
            _("A ticket can be merged only into another ticket of the same client.")
        )
    if source.status == Status.MERGED or target.status == Status.MERGED:
        raise ValidationError(_("This ticket has already been merged."))
    source.messages.update(ticket=target)
    last = target.messages.aggregate(last=Max("created_at"))["last"] or now
    _event(target, staff, now, "merged_from", code=source.code, subject=source.subject)
    source.status = Status.MERGED
    source.merged_into = target
    source.closed_at = now
    source.last_activity_at = now
    source.save()
    _event(source, staff, now, "merged_into", code=target.code)
    target.last_activity_at = max(last, now)
    if target.status == Status.CLOSED:
        _change_status(target, staff, Status.OPEN, now, quiet=True)
    target.save()
    audit.record(Action.TICKET_MERGED, request=request, client=source.client,
                 detail=f"{source.code} → {target.code}")  # fmt: skip
    notify_client(source, "ticket_status", {"change": "merged", "target": target})
    return target


@transaction.atomic
def hold_request(ticket: Ticket, staff: User, description: str, now: datetime) -> HeldRequest:
    """Staff ask the client to confirm from the panel a change that arrived by email
    (ACC-10): nothing is done until the client does."""
    if not description.strip():
        raise ValidationError(_("Describe what will be done once the client confirms."))
    held = HeldRequest.objects.create(
        ticket=ticket, description=description.strip(), requested_by=staff, created_at=now
    )
    _event(ticket, staff, now, "request_held", description=held.description)
    Ticket.objects.filter(pk=ticket.pk).update(
        status=Status.WAITING, waiting_since=now, last_activity_at=now
    )
    ticket.refresh_from_db()
    notify_client(ticket, "ticket_status", {"change": "held", "held": held})
    return held


# --- Saved queue filters ----------------------------------------------------------------

# What a saved filter may hold: the queue's own filters and sort, nothing else (no cursor).
QUEUE_PARAMS = ("department", "status", "priority", "due", "assignee", "category", "sort")


def queue_query(params: Mapping[str, str]) -> str:
    """The queue's filters and sort from a query, as a query string, in a fixed order."""
    kept = [(name, params.get(name, "")[:40]) for name in QUEUE_PARAMS if params.get(name)]
    return urlencode(kept)


def save_filter(user: User, name: str, params: Mapping[str, str]) -> SavedFilter:
    """Saved under its name: saving again under the same name replaces it."""
    name = single_line(name)[:60]
    if not name:
        raise ValidationError(_("Give the filter a name."))
    saved, _created = SavedFilter.objects.update_or_create(
        user=user, name=name, defaults={"query": queue_query(params)}
    )
    return saved


def delete_filter(user: User, pk: int) -> bool:
    """Only one's own; one already gone is no error."""
    return bool(SavedFilter.objects.filter(user=user, pk=pk).delete()[0])


# --- Presence (collision warning) --------------------------------------------------------

PRESENCE_SECONDS = 90


class Presence(TypedDict):
    name: str
    replying: bool


def record_presence(ticket: Ticket, user: User, now: datetime, *, replying: bool = False) -> None:
    defaults = {"seen_at": now}
    if replying:
        defaults["replying_at"] = now
    TicketPresence.objects.update_or_create(ticket=ticket, user=user, defaults=defaults)


DRAFT_MAX_CHARS = 100_000


def save_draft(ticket: Ticket, agent: User, body: str, now: datetime) -> None:
    """Keep what the agent has typed in the reply box; an emptied box leaves no draft. A NUL
    cannot be typed, and PostgreSQL refuses it in text: it is dropped."""
    body = body.replace("\x00", "")
    if not body.strip():
        ReplyDraft.objects.filter(ticket=ticket, agent=agent).delete()
        return
    ReplyDraft.objects.update_or_create(
        ticket=ticket, agent=agent, defaults={"body": body[:DRAFT_MAX_CHARS], "updated_at": now}
    )


def others_present(ticket: Ticket, user: User, now: datetime) -> list[Presence]:
    since = now - timedelta(seconds=PRESENCE_SECONDS)
    rows = (
        TicketPresence.objects.filter(ticket=ticket, seen_at__gte=since)
        .exclude(user=user)
        .select_related("user")
    )
    return [
        {
            "name": row.user.get_full_name() or row.user.email,
            "replying": bool(row.replying_at and row.replying_at >= since),
        }
        for row in rows
    ]


def request_upgrade(service: Service, description: str, now: datetime, *,
                    request: HttpRequest | None = None) -> Ticket:  # fmt: skip
    """An upgrade request (SRV-6) is a ticket for the sales team, who answer with costs and
    times; it is open to every client, help desk or not."""
    description = description.strip()
    if len(description) < 10:
        raise ValidationError(_("Describe what you would like to add in a few words."))
    with transaction.atomic():
        audit.record(
            AuditEvent.Action.UPGRADE_REQUESTED, request=request, client=service.client,
            detail=f"{service}: {description[:300]}",
        )  # fmt: skip
        return open_ticket(
            service.client,
            category=Category.objects.get(kind=Category.Kind.UPGRADE, active=True),
            service=service,
            subject=_("Upgrade of %(service)s") % {"service": service.name},
            body=description,
            details={"to_add": description},
            now=now,
            request=request,
        )


# --- Configuration from the desk ---------------------------------------------------------

# "-- " on its own line: mail programs recognise what follows as a signature.
SIGNATURE_SEPARATOR = "\n\n-- \n"


def with_signature(body: str, staff: User, language: str) -> str:
    """The answer with the agent's signature in the client's language, when they have one
    and the answer does not already end with it."""
    signature = AgentSignature.objects.filter(user=staff).first()
    if signature is None:
        return body
    text = signature.text_in(language or "it").strip()
    if not text or body.rstrip().endswith(text):
        return body
    return body.rstrip() + SIGNATURE_SEPARATOR + text


def render_canned(reply: CannedReply, ticket: Ticket, language: str, *,
                  agent: User | None = None) -> str:  # fmt: skip
    """A canned reply with its placeholders filled for a ticket: {client}, {code},
    {subject}, {service}, {department} and {agent}. Values are put in as written (never
    read as placeholders themselves); names are in `language`."""
    values = {
        "client": ticket.client.display_name,
        "code": ticket.code,
        "subject": ticket.subject,
        "service": ticket.service.name if ticket.service else "",
        "department": ticket.department.name_in(language),
        "agent": (agent.get_full_name() or agent.email) if agent is not None else "",
    }
    pattern = re.compile(r"\{(" + "|".join(values) + r")\}")
    return pattern.sub(lambda match: values[match.group(1)], reply.body)


CANNED_PLACEHOLDERS = ("client", "code", "subject", "service", "department", "agent")


def canned_replies_for(ticket: Ticket, staff: User, language: str) -> QuerySet[CannedReply]:
    """The replies an agent may use on a ticket: shared ones of every department or of the
    ticket's, and their own, in `language`."""
    return CannedReply.objects.filter(
        Q(department__isnull=True) | Q(department=ticket.department),
        Q(owner__isnull=True) | Q(owner=staff),
        language=language,
    )


@transaction.atomic
def save_configuration(row: Model, user: User, *, created: bool, changed: Sequence[str] = (),
                       request: HttpRequest | None = None) -> Model:  # fmt: skip
    """Save a help-desk configuration row edited in the desk, with its audit row naming
    what it is and which fields changed."""
    row.save()
    what = "created" if created else "changed " + ", ".join(changed)
    audit.record(Action.DESK_CONFIG_CHANGED, request=request, actor=user,
                 detail=f"{row._meta.verbose_name} #{row.pk} {row}: {what}")  # fmt: skip
    return row


@transaction.atomic
def delete_configuration(row: Model, user: User, *, request: HttpRequest | None = None) -> None:
    """Delete a configuration row; one still in use (a department with tickets, a category
    tickets were opened in) is refused with a message instead."""
    label = f"{row._meta.verbose_name} #{row.pk} {row}"
    try:
        with transaction.atomic():
            row.delete()
    except ProtectedError as error:
        raise ValidationError(
            _("%(row)s is still in use and cannot be deleted: deactivate it instead.")
            % {"row": str(row)}
        ) from error
    audit.record(Action.DESK_CONFIG_CHANGED, request=request, actor=user,
                 detail=f"{label}: deleted")  # fmt: skip
