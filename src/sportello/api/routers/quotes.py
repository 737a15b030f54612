from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view

from sportello.accounts.models import Client
from sportello.billing import actions as billing
from sportello.billing.models import Quote

from .. import scopes
from ..http import ApiError, need, paginate, staff_only, write
from .common import ID, LIMIT, MAX_ID, OPTIONAL_ID, own, page, page_of, responses

router = Router(tags=["quotes"])


class QuoteLineOut(Schema):
    description: str
    quantity: Decimal
    unit_price: Decimal
    net: Decimal


class QuoteOut(Schema):
    id: int
    client_id: int
    title: str
    status: str
    deposit_percent: Decimal
    valid_until: date | None
    accepted_at: datetime | None
    delivered_at: datetime | None
    deposit_invoice_id: int | None
    balance_invoice_id: int | None
    created_at: datetime
    lines: list[QuoteLineOut]


class QuoteFilters(Schema):
    client_id: int | None = OPTIONAL_ID
    status: str | None = None
    limit: int = LIMIT
    cursor: str | None = None
    ordering: Literal["id", "-id", "created_at", "-created_at"] = "-id"


def _quotes(token: Any) -> Any:
    """A client's token sees the quotes sent to it, as in the panel: not staff's drafts."""
    quotes = own(Quote.objects.prefetch_related("lines"), token)
    if token.client_id is not None:
        quotes = quotes.exclude(status=Quote.Status.DRAFT)
    return quotes


@router.get("/quotes", response=responses(page_of(QuoteOut)),
            openapi_extra={"x-scope": scopes.QUOTES_READ})  # fmt: skip
def list_quotes(request: HttpRequest, filters: Query[QuoteFilters]) -> Any:
    token = need(request, scopes.QUOTES_READ)
    rows = _quotes(token)
    if filters.client_id is not None:
        rows = rows.filter(client_id=filters.client_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    items, following = paginate(rows, limit=filters.limit, cursor=filters.cursor,
                                ordering=filters.ordering,
                                allowed={"id": "id", "created_at": "created_at"})  # fmt: skip
    return page(items, following)


@router.get("/quotes/{quote_id}", response=responses(QuoteOut),
            openapi_extra={"x-scope": scopes.QUOTES_READ})  # fmt: skip
def get_quote(request: HttpRequest, quote_id: Annotated[int, ID]) -> Any:
    token = need(request, scopes.QUOTES_READ)
    return _quotes(token).get(pk=quote_id)


class QuoteLineIn(Schema):
    description: str = Field(min_length=1, max_length=300)
    unit_price: Decimal = Field(..., ge=Decimal("-99999999.99"), le=Decimal("99999999.99"),
                                max_digits=10, decimal_places=2)  # fmt: skip
    quantity: Decimal = Field(Decimal(1), ge=Decimal("0.01"), le=Decimal("99999999.99"),
                              max_digits=10, decimal_places=2)  # fmt: skip


class QuoteIn(Schema):
    client_id: int = Field(ge=1, le=MAX_ID)
    title: str = Field(min_length=1, max_length=200)
    notes: str = Field("", max_length=10_000)
    deposit_percent: Decimal = Field(Decimal("30.00"), ge=0, le=100, max_digits=5,
                                     decimal_places=2)  # fmt: skip
    valid_until: date | None = None
    lines: list[QuoteLineIn] = Field(..., min_length=1, max_length=50)
    send: bool = Field(False, description="Send it to the client at once (else a draft).")


@router.post("/quotes", response=responses(QuoteOut, 201),
             openapi_extra={"x-scope": scopes.QUOTES_WRITE})  # fmt: skip
@decorate_view(write(idempotent=True))
def create_quote(request: HttpRequest, data: QuoteIn) -> Any:
    """A draft quote for a client (staff), as in the desk; with `send`, mailed at once.
    Send an Idempotency-Key: the same key again answers the first quote."""
    token = need(request, scopes.QUOTES_WRITE)
    staff_only(token)
    client = Client.objects.filter(pk=data.client_id).first()
    if client is None:
        raise ValidationError({"client_id": _("No such client.")})
    lines = [billing.Line(line.description, line.unit_price, line.quantity) for line in data.lines]
    quote = billing.create_quote(client, data.title, lines, notes=data.notes,
                                 deposit_percent=data.deposit_percent,
                                 valid_until=data.valid_until)  # fmt: skip
    if data.send:
        billing.send_quote(quote, request=request)
    return Status(201, _quotes(token).get(pk=quote.pk))


@router.post("/quotes/{quote_id}/send", response=responses(QuoteOut),
             openapi_extra={"x-scope": scopes.QUOTES_WRITE})  # fmt: skip
@decorate_view(write())
def send_quote(request: HttpRequest, quote_id: Annotated[int, ID]) -> Any:
    """Mail a draft to the client (staff); it can then be accepted. Not a draft: 422."""
    token = need(request, scopes.QUOTES_WRITE)
    staff_only(token)
    quote = _quotes(token).get(pk=quote_id)
    billing.send_quote(quote, request=request)
    return _quotes(token).get(pk=quote_id)


@router.post("/quotes/{quote_id}/accept", response=responses(QuoteOut),
             openapi_extra={"x-scope": scopes.QUOTES_WRITE})  # fmt: skip
@decorate_view(write(idempotent=True))
def accept_quote(request: HttpRequest, quote_id: Annotated[int, ID]) -> Any:
    """The client accepts a quote sent to it (client tokens only, as in the panel): the
    deposit invoice, if the quote asks one, is issued and mailed (`deposit_invoice_id`).
    Accepted already, or expired: 422."""
    token = need(request, scopes.QUOTES_WRITE)
    if token.client_id is None:
        raise ApiError(403, _("This token may not do this."),
                       _("Only the client may accept a quote."))  # fmt: skip
    quote = _quotes(token).get(pk=quote_id)
    billing.accept_quote(quote, timezone.now(), request=request)
    return _quotes(token).get(pk=quote_id)
