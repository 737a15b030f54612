from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema

from sportello.billing.models import Quote

from .. import scopes
from ..http import need, paginate
from .common import ID, LIMIT, OPTIONAL_ID, own, page, page_of, responses

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
    return own(Quote.objects.prefetch_related("lines"), token)


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
