from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.files import UploadedFile

from sportello.accounts.models import Client, User
from sportello.helpdesk import actions as helpdesk
from sportello.helpdesk.models import Attachment, Category, HelpdeskSettings, Message, Ticket
from sportello.helpdesk.uploads import refused_uploads
from sportello.helpdesk.views import attachment_response
from sportello.services.models import Service

from .. import scopes
from ..http import check_if_match, etag_of, need, paginate, staff_only, write
from .common import ID, LIMIT, MAX_ID, OPTIONAL_ID, file_response, page, page_of, responses

router = Router(tags=["tickets"])


class TicketOut(Schema):
    code: str
    client_id: int
    subject: str
    status: str
    priority: str
    channel: str
    department: str
    category: str
    service_id: int | None
    assignee_id: int | None
    created_at: datetime
    last_activity_at: datetime
    first_response_due: datetime
    resolution_due: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_department(ticket: Ticket) -> str:
        return ticket.department.code

    @staticmethod
    def resolve_category(ticket: Ticket) -> str:
        return ticket.category.code


class AttachmentOut(Schema):
    id: int
    filename: str
    size: int


class MessageOut(Schema):
    id: int
    kind: str
    body: str
    author: str
    created_at: datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_author(message: Message) -> str:
        author = message.author
        return (author.get_full_name() or author.email) if author else ""


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]

    @staticmethod
    def resolve_messages(ticket: Ticket) -> list[Message]:
        return ticket.api_messages  # type: ignore[attr-defined]


def _tickets(token: Any) -> Any:
    """A client's own tickets; staff those of their departments (administrators all)."""
    tickets = Ticket.objects.select_related("department", "category")
    if token.client_id is not None:
        return tickets.filter(client_id=token.client_id)
    return tickets.visible_to_staff(token.user)


def _messages(token: Any, ticket: Ticket) -> list[Message]:
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    if token.client_id is not None:
        messages = messages.exclude(kind=Message.Kind.NOTE)
    return list(messages.exclude(kind=Message.Kind.EVENT))


def _detail(token: Any, code: str, response: HttpResponse | None = None) -> Ticket:
    ticket: Ticket = _tickets(token).get(code=code)
    ticket.api_messages = _messages(token, ticket)  # type: ignore[attr-defined]
    if response is not None:
        response["ETag"] = _etag(ticket)
    return ticket


def _etag(ticket: Ticket) -> str:
    return etag_of(TicketDetailOut.from_orm(ticket).model_dump(mode="json"))


class TicketFilters(Schema):
    status: Literal["new", "open", "waiting", "closed", "merged", "active"] | None = None
    client_id: int | None = OPTIONAL_ID
    department: str | None = None
    assignee_id: int | None = OPTIONAL_ID
    limit: int = LIMIT
    cursor: str | None = None
    ordering: Literal["id", "-id", "created_at", "-created_at", "last_activity_at",
                      "-last_activity_at"] = "-last_activity_at"  # fmt: skip


ORDERINGS = {"id": "id", "created_at": "created_at", "last_activity_at": "last_activity_at"}


@router.get("/tickets", response=responses(page_of(TicketOut)),
            openapi_extra={"x-scope": scopes.TICKETS_READ})  # fmt: skip
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> Any:
    """Tickets; `status=active` is new, in progress or waiting."""
    token = need(request, scopes.TICKETS_READ)
    rows = _tickets(token)
    if filters.status == "active":
        rows = rows.filter(status__in=Ticket.OPEN_STATUSES)
    elif filters.status:
        rows = rows.filter(status=filters.status)
    if filters.client_id is not None:
        rows = rows.filter(client_id=filters.client_id)
    if filters.department:
        rows = rows.filter(department__code=filters.department)
    if filters.assignee_id is not None:
        rows = rows.filter(assignee_id=filters.assignee_id)
    items, following = paginate(rows, limit=filters.limit, cursor=filters.cursor,
                                ordering=filters.ordering, allowed=ORDERINGS)  # fmt: skip
    return page(items, following)


@router.get("/tickets/{code}", response=responses(TicketDetailOut),
            openapi_extra={"x-scope": scopes.TICKETS_READ})  # fmt: skip
def get_ticket(request: HttpRequest, code: str, response: HttpResponse) -> Any:
    """With an ETag: send it back as If-Match when answering, assigning or closing."""
    token = need(request, scopes.TICKETS_READ)
    return _detail(token, code, response)


@router.get("/tickets/{code}/attachments/{attachment_id}", response=responses(None),
            openapi_extra={"x-scope": scopes.TICKETS_READ,
                           **file_response("application/octet-stream", "The file")})  # fmt: skip
def get_attachment(request: HttpRequest, code: str, attachment_id: Annotated[int, ID]) -> Any:
    token = need(request, scopes.TICKETS_READ)
    ticket = _tickets(token).get(code=code)
    attachments = Attachment.objects.filter(message__ticket=ticket)
    if token.client_id is not None:
        attachments = attachments.exclude(message__kind=Message.Kind.NOTE)
    return attachment_response(attachments.get(pk=attachment_id))


class TicketIn(Schema):
    category: str = Field(description="The category's code.")
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=100_000)
    service_id: int | None = OPTIONAL_ID
    client_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Staff tokens: the client it is for."
    )


@router.post("/tickets", response=responses(TicketDetailOut, 201),
             openapi_extra={"x-scope": scopes.TICKETS_WRITE})  # fmt: skip
@decorate_view(write(idempotent=True))
def open_ticket(request: HttpRequest, data: TicketIn) -> Any:
    """Open a ticket: a client's token for its client, a staff token on behalf of
    `client_id` (the acknowledgement goes to the client as from the panel). Send an
    Idempotency-Key: the same key again answers the first ticket."""
    token = need(request, scopes.TICKETS_WRITE)
    client = token.client
    if client is None and data.client_id is not None:
        client = Client.objects.select_related("owner", "tier").filter(pk=data.client_id).first()
    if client is None:
        raise ValidationError({"client_id": _("No such client.")})
    category = (
        Category.objects.select_related("department")
        .filter(code=data.category, active=True)
        .first()
    )
    if category is None:
        raise ValidationError({"category": _("No such category.")})
    service = None
    if data.service_id is not None:
        service = Service.objects.filter(pk=data.service_id, client=client).first()
        if service is None:
            raise ValidationError({"service_id": _("Choose one of the client's services.")})
    ticket = helpdesk.open_ticket(
        client, category=category, subject=data.subject, body=data.body, now=timezone.now(),
        service=service, user=client.owner, request=request,
    )  # fmt: skip
    return Status(201, _detail(token, ticket.code))


class ReplyIn(Schema):
    body: str = Field(min_length=1, max_length=100_000)
    then: Literal["open", "waiting", "closed"] = Field(
        "open", description="Staff: the status the answer leaves."
    )


@router.post("/tickets/{code}/replies", response=responses(TicketDetailOut, 201),
             openapi_extra={"x-scope": scopes.TICKETS_WRITE})  # fmt: skip
@decorate_view(write(idempotent=True))
def reply(request: HttpRequest, code: str, data: ReplyIn) -> Any:
    """A public answer: the client's, or staff's (which mails the client)."""
    token = need(request, scopes.TICKETS_WRITE)
    ticket = _tickets(token).get(code=code)
    check_if_match(request, _etag(_detail(token, code)))
    now = timezone.now()
    if token.client_id is not None:
        helpdesk.reply_as_client(ticket, token.user, data.body, now)
    else:
        helpdesk.reply_as_staff(ticket, token.user, data.body, now, then=data.then)
    return Status(201, _detail(token, code))


class NoteIn(Schema):
    body: str = Field(min_length=1, max_length=100_000)


@router.post("/tickets/{code}/notes", response=responses(TicketDetailOut, 201),
             openapi_extra={"x-scope": scopes.TICKETS_WRITE})  # fmt: skip
@decorate_view(write())
def add_note(request: HttpRequest, code: str, data: NoteIn) -> Any:
    """An internal note (staff): the client never sees it."""
    token = need(request, scopes.TICKETS_WRITE)
    staff_only(token)
    ticket = _tickets(token).get(code=code)
    helpdesk.add_note(ticket, token.user, data.body, timezone.now())
    return Status(201, _detail(token, code))


class AssignIn(Schema):
    assignee_id: int | None = Field(
        ge=1, le=MAX_ID, description="A staff member's id; null to unassign."
    )


@router.post("/tickets/{code}/assign", response=responses(TicketDetailOut),
             openapi_extra={"x-scope": scopes.TICKETS_WRITE})  # fmt: skip
@decorate_view(write())
def assign(request: HttpRequest, code: str, data: AssignIn) -> Any:
    token = need(request, scopes.TICKETS_WRITE)
    staff_only(token)
    ticket = _tickets(token).get(code=code)
    check_if_match(request, _etag(_detail(token, code)))
    assignee = None
    if data.assignee_id is not None:
        assignee = User.objects.filter(pk=data.assignee_id, is_staff=True, is_active=True).first()
        if assignee is None:
            raise ValidationError({"assignee_id": _("No such staff member.")})
    helpdesk.assign(ticket, token.user, assignee, timezone.now())
    return _detail(token, code)


@router.post("/tickets/{code}/close", response=responses(TicketDetailOut),
             openapi_extra={"x-scope": scopes.TICKETS_WRITE})  # fmt: skip
@decorate_view(write())
def close(request: HttpRequest, code: str) -> Any:
    token = need(request, scopes.TICKETS_WRITE)
    staff_only(token)
    ticket = _tickets(token).get(code=code)
    check_if_match(request, _etag(_detail(token, code)))
    helpdesk.set_status(ticket, token.user, Ticket.Status.CLOSED, timezone.now())
    return _detail(token, code)


FILES = File(description="One or more files.")


@router.post("/tickets/{code}/attachments", response=responses(TicketDetailOut, 201),
             openapi_extra={"x-scope": scopes.TICKETS_WRITE})  # fmt: skip
@decorate_view(write(idempotent=True))
def attach(request: HttpRequest, code: str,
           files: Annotated[list[UploadedFile] | None, FILES] = None,
           body: str = Form(..., min_length=1, max_length=100_000),
           then: Literal["open", "waiting", "closed"] = Form("open"),
           note: bool = Form(False)) -> Any:  # fmt: skip
    """Files sent as `multipart/form-data` (`files`, one or more), in a message with `body`:
    the client's answer, staff's public answer (leaving the ticket `then`) or, with `note`,
    staff's internal note. The help desk's limits apply: the types it accepts, the size of
    one file, of one message's files and of the ticket's (422 says which file and why).
    Send an Idempotency-Key: the same key again answers the first message."""
    token = need(request, scopes.TICKETS_WRITE)
    if note:
        staff_only(token)
    ticket = _tickets(token).get(code=code)
    check_if_match(request, _etag(_detail(token, code)))
    settings = HelpdeskSettings.current()
    refused = [upload.message(settings) for upload in refused_uploads(request)]
    if refused:
        raise ValidationError({"files": refused})
    if not files:
        raise ValidationError({"files": _("Attach at least one file.")})
    now = timezone.now()
    if token.client_id is not None:
        helpdesk.reply_as_client(ticket, token.user, body, now, files)
    elif note:
        helpdesk.add_note(ticket, token.user, body, now, files)
    else:
        helpdesk.reply_as_staff(ticket, token.user, body, now, then=then, attachments=files)
    return Status(201, _detail(token, code))
