"""The REST API, version 1: /api/v1/, its OpenAPI document at /api/v1/openapi.json and the
interactive documentation at /api/v1/docs (signed-in staff)."""

from typing import Any

from django.urls import path
from ninja import NinjaAPI
from ninja.openapi.views import openapi_view

from sportello.core.access import staff_required

from .http import PROBLEM, TokenAuth, install_handlers
from .routers import clients, invoices, kb, operations, quotes, services, tickets

DESCRIPTION = """
Sportello's REST API. Authenticate with a token created in the panel (clients) or the
desk (staff): `Authorization: Bearer spt_…`. Each operation names the scope it needs
(`x-scope`); a client's token sees only that client's objects.

Lists are paginated by cursor: pass the `next_cursor` of a page as `cursor`. Errors are
problem details (RFC 9457, `application/problem+json`) in the token holder's language or
the one asked by `Accept-Language`. POSTs that create money or tickets accept an
`Idempotency-Key` header: the same key again replays the first answer. Details carry an
`ETag`; send it as `If-Match` on a change to refuse it if the object changed meanwhile.
Each token may make a limited number of requests a minute; past it the answer is 429 with
`Retry-After`.
"""


class Api(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Errors are documented as what they are: problem details, and 429 with Retry-After."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for path_item in schema["paths"].values():
            for operation in path_item.values():
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    json_body = content.get("application/json", {})
                    if json_body.get("schema", {}).get("$ref", "").endswith("/Problem"):
                        response["content"] = {PROBLEM: json_body}
                    if code == 429:
                        response["headers"] = {
                            "Retry-After": {
                                "description": "Seconds to wait.",
                                "schema": {"type": "integer"},
                            }
                        }
        return schema


def docs_for_staff(view: Any) -> Any:
    """The interactive documentation is for signed-in staff; the document itself is public
    (clients' programs and contract tests read it)."""
    if getattr(view, "func", None) is openapi_view:
        return staff_required()(view)
    return view


api = Api(
    title="Sportello API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs_url="/docs",
    docs_decorator=docs_for_staff,
)
install_handlers(api)
for module in (clients, services, invoices, quotes, tickets, kb, operations):
    api.add_router("", module.router)

urlpatterns = [path("v1/", api.urls)]
