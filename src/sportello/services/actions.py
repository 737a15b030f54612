from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sportello.catalog.models import ProductType
from sportello.catalog.rules import check_support_plan
from sportello.core import audit
from sportello.core.models import AuditEvent

from .models import Service


@transaction.atomic
def create_service(
    client,
    product,
    *,
    name: str,
    registered_on: date,
    request=None,
    actor=None,
    parent: Service | None = None,
    operating_system: str = "",
    ip_address: str | None = None,
    status: str = Service.Status.ACTIVE,
    renewal_policy: str = "",
    cycle_months: int = 12,
) -> Service:
    """Add a service to a client's account; support plans only where they apply (SRV-10)."""
    if product.type == ProductType.SUPPORT_PLAN:
        if parent is None or parent.client_id != client.pk:
            raise ValidationError(
                _("A support plan must be attached to one of the client's servers.")
            )
        check_support_plan(product, parent.product.type, parent.operating_system)
    price = product.prices.filter(cycle_months=cycle_months).first()
    if price is None:
        raise ValidationError(
            _("%(product)s has no price for a %(months)s-month cycle.")
            % {"product": product.name, "months": cycle_months}
        )
    service = Service.objects.create(
        client=client,
        product=product,
        name=name.strip().lower() if product.type == ProductType.DOMAIN else name.strip(),
        status=status,
        registered_on=registered_on,
        expires_on=product.expiry_for(registered_on),
        renewal_policy=renewal_policy or product.renewal_policy,
        cycle_months=cycle_months,
        price=price.amount,
        currency=price.currency,
        parent=parent,
        operating_system=operating_system,
        ip_address=ip_address,
    )
    audit.record(
        AuditEvent.Action.SERVICE_CREATED,
        request=request,
        actor=actor,
        client=client,
        detail=str(service),
    )
    return service
