"""What the routers share: list parameters, pages of results, the client a token is for."""

from typing import Any

from django.db.models import Model, QuerySet
from ninja import Field, Path, Schema
from pydantic import create_model

from ..http import Problem
from ..models import ApiToken

ERRORS: dict[int, type[Schema]] = {
    code: Problem for code in (401, 403, 404, 409, 412, 422, 429)
}  # fmt: skip
# The largest id both databases store: larger ones are refused, not looked up.
MAX_ID = 2**63 - 1
ID = Path(..., ge=1, le=MAX_ID)
OPTIONAL_ID = Field(None, ge=1, le=MAX_ID)
LIMIT = Field(50, ge=1, le=200, description="Items per page (1–200).")


def file_response(content_type: str, description: str) -> dict[str, Any]:
    """openapi_extra for an operation that answers a file."""
    return {"responses": {"200": {"description": description, "content": {content_type: {}}}}}


def responses(ok: Any, status: int = 200) -> dict[int, Any]:
    return {status: ok, **ERRORS}


def page_of(schema: type[Schema]) -> type[Schema]:
    """{items: [...], next_cursor}: pass next_cursor as `cursor` for the following page."""
    return create_model(
        f"{schema.__name__.removesuffix('Out')}Page",
        __base__=Schema,
        items=(list[schema], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, None),
    )


def own(queryset: QuerySet[Any], token: ApiToken, field: str = "client") -> QuerySet[Any]:
    """A client token sees its client's rows only, as in the panel."""
    if token.client_id is not None:
        return queryset.filter(**{field: token.client_id})
    return queryset


def page(rows: list[Model], following: str | None) -> dict[str, Any]:
    return {"items": rows, "next_cursor": following}
