from datetime import datetime
from typing import Annotated, Any, Literal

from django.db.models import Q
from django.http import HttpRequest
from ninja import Query, Router, Schema

from sportello.accounts.models import Client

from .. import scopes
from ..http import need, paginate
from .common import ID, LIMIT, own, page, page_of, responses

router = Router(tags=["clients"])


class ClientOut(Schema):
    id: int
    kind: str
    name: str
    company_name: str
    display_name: str
    email: str
    language: str
    fiscal_code: str
    vat_number: str
    address: str
    postcode: str
    city: str
    province: str
    country: str
    phone: str
    tier: str | None
    created_at: datetime

    @staticmethod
    def resolve_email(client: Client) -> str:
        return client.contact_email

    @staticmethod
    def resolve_language(client: Client) -> str:
        return client.language

    @staticmethod
    def resolve_tier(client: Client) -> str | None:
        return client.tier.code if client.tier else None


class ClientFilters(Schema):
    q: str | None = None
    country: str | None = None
    limit: int = LIMIT
    cursor: str | None = None
    ordering: Literal["id", "-id", "name", "-name", "created_at", "-created_at"] = "id"


ORDERINGS = {"id": "id", "name": "name", "created_at": "created_at"}


@router.get("/clients", response=responses(page_of(ClientOut)),
            openapi_extra={"x-scope": scopes.CLIENTS_READ})  # fmt: skip
def list_clients(request: HttpRequest, filters: Query[ClientFilters]) -> Any:
    """Clients (a client's token: its own account only); `q` searches name, company, email."""
    token = need(request, scopes.CLIENTS_READ)
    clients = own(Client.objects.select_related("owner", "tier"), token, "pk")
    if filters.q:
        q = filters.q.strip()
        clients = clients.filter(
            Q(name__icontains=q) | Q(company_name__icontains=q) | Q(owner__email__icontains=q)
        )
    if filters.country:
        clients = clients.filter(country=filters.country.upper())
    rows, following = paginate(clients, limit=filters.limit, cursor=filters.cursor,
                               ordering=filters.ordering, allowed=ORDERINGS)  # fmt: skip
    return page(rows, following)


@router.get("/clients/{client_id}", response=responses(ClientOut),
            openapi_extra={"x-scope": scopes.CLIENTS_READ})  # fmt: skip
def get_client(request: HttpRequest, client_id: Annotated[int, ID]) -> Any:
    token = need(request, scopes.CLIENTS_READ)
    return own(Client.objects.select_related("owner", "tier"), token, "pk").get(pk=client_id)
