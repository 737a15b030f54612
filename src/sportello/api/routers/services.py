from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.decorators import decorate_view

from sportello.accounts.models import Client
from sportello.catalog.models import Product
from sportello.services import actions as services
from sportello.services.models import Service

from .. import scopes
from ..http import need, paginate, staff_only, write
from .common import ID, LIMIT, MAX_ID, OPTIONAL_ID, own, page, page_of, responses

router = Router(tags=["services"])


class ServiceOut(Schema):
    id: int
    client_id: int
    product: str
    type: str
    name: str
    status: str
    registered_on: date
    expires_on: date
    renewal_policy: str
    cycle_months: int
    price: Decimal
    currency: str
    parent_id: int | None
    disk_used_mb: int | None = None
    cancellation_effective_on: date | None = None

    @staticmethod
    def resolve_product(service: Service) -> str:
        return service.product.code

    @staticmethod
    def resolve_type(service: Service) -> str:
        return service.product.type


class ServiceFilters(Schema):
    client_id: int | None = OPTIONAL_ID
    status: str | None = None
    type: str | None = None
    limit: int = LIMIT
    cursor: str | None = None
    ordering: Literal["id", "-id", "expires_on", "-expires_on", "name", "-name"] = "id"


ORDERINGS = {"id": "id", "expires_on": "expires_on", "name": "name"}


def _services(token: Any) -> Any:
    return own(Service.objects.select_related("product"), token)


@router.get("/services", response=responses(page_of(ServiceOut)),
            openapi_extra={"x-scope": scopes.SERVICES_READ})  # fmt: skip
def list_services(request: HttpRequest, filters: Query[ServiceFilters]) -> Any:
    token = need(request, scopes.SERVICES_READ)
    rows = _services(token)
    if filters.client_id is not None:
        rows = rows.filter(client_id=filters.client_id)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.type:
        rows = rows.filter(product__type=filters.type)
    items, following = paginate(rows, limit=filters.limit, cursor=filters.cursor,
                                ordering=filters.ordering, allowed=ORDERINGS)  # fmt: skip
    return page(items, following)


@router.get("/services/{service_id}", response=responses(ServiceOut),
            openapi_extra={"x-scope": scopes.SERVICES_READ})  # fmt: skip
def get_service(request: HttpRequest, service_id: Annotated[int, ID]) -> Any:
    token = need(request, scopes.SERVICES_READ)
    return _services(token).get(pk=service_id)


class ServiceIn(Schema):
    client_id: int = Field(ge=1, le=MAX_ID)
    product: str = Field(description="The product's code.")
    name: str = Field(min_length=1, max_length=253)
    registered_on: date | None = None
    cycle_months: int = Field(12, ge=1, le=120)


@router.post("/services", response=responses(ServiceOut, 201),
             openapi_extra={"x-scope": scopes.SERVICES_WRITE})  # fmt: skip
@decorate_view(write(idempotent=True))
def create_service(request: HttpRequest, data: ServiceIn) -> Any:
    """Add a service to a client's account (staff), with the same rules as the desk."""
    token = need(request, scopes.SERVICES_WRITE)
    staff_only(token)
    client = Client.objects.filter(pk=data.client_id).first()
    product = Product.objects.filter(code=data.product).first()
    if client is None:
        raise ValidationError({"client_id": _("No such client.")})
    if product is None:
        raise ValidationError({"product": _("No such product.")})
    service = services.create_service(
        client, product, name=data.name, cycle_months=data.cycle_months, request=request,
        registered_on=data.registered_on or timezone.localdate(), actor=token.user,
    )  # fmt: skip
    return Status(201, _services(token).get(pk=service.pk))


class CancelIn(Schema):
    channel: Literal["provider", "letter", "panel"] = "provider"


@router.post("/services/{service_id}/cancel", response=responses(ServiceOut),
             openapi_extra={"x-scope": scopes.SERVICES_WRITE})  # fmt: skip
@decorate_view(write())
def cancel_service(request: HttpRequest, service_id: Annotated[int, ID], data: CancelIn) -> Any:
    """Stop a service renewing (the client's cancellation, or the provider's decision), with
    the notice rules and the mail of the desk."""
    token = need(request, scopes.SERVICES_WRITE)
    staff_only(token)
    service = _services(token).get(pk=service_id)
    services.request_cancellation(service, timezone.localdate(), channel=data.channel,
                                  request=request, actor=token.user)  # fmt: skip
    return _services(token).get(pk=service_id)


def _status_change(request: HttpRequest, service_id: int, change: Any) -> Any:
    token = need(request, scopes.SERVICES_WRITE)
    staff_only(token)
    service = _services(token).get(pk=service_id)
    change(service, request=request, actor=token.user)
    return _services(token).get(pk=service_id)


@router.post("/services/{service_id}/suspend", response=responses(ServiceOut),
             openapi_extra={"x-scope": scopes.SERVICES_WRITE})  # fmt: skip
@decorate_view(write())
def suspend_service(request: HttpRequest, service_id: Annotated[int, ID]) -> Any:
    """Block an active (or pending) service, as staff does in the desk; a domain goes on
    hold. Its servers are told (a module, or a task for staff) and `service.suspended` is
    sent. A service that is not active answers 422."""
    return _status_change(request, service_id, services.suspend_service)


@router.post("/services/{service_id}/unsuspend", response=responses(ServiceOut),
             openapi_extra={"x-scope": scopes.SERVICES_WRITE})  # fmt: skip
@decorate_view(write())
def unsuspend_service(request: HttpRequest, service_id: Annotated[int, ID]) -> Any:
    """Reactivate a suspended, on-hold or expired service (`service.reactivated`). Any
    other status answers 422."""
    return _status_change(request, service_id, services.unsuspend_service)


@router.post("/services/{service_id}/terminate", response=responses(ServiceOut),
             openapi_extra={"x-scope": scopes.SERVICES_WRITE})  # fmt: skip
@decorate_view(write())
def terminate_service(request: HttpRequest, service_id: Annotated[int, ID]) -> Any:
    """End a service now: its account is removed from the servers, a domain released
    (`service.terminated`). A service already ended answers 422."""
    return _status_change(request, service_id, services.terminate_service)
