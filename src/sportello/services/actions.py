from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sportello.catalog.models import ProductType
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
    price = product.prices.filter(cycle_months=cycle_months).first()
    if price is None:
        raise ValidationError(
            _("%(product)s has no price for a %(months)s-month cycle.")
            % {"product": product.name, "months": cycle_months}
        )
    service = Service(
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
    service.clean()
    service.save()
    audit.record(
        AuditEvent.Action.SERVICE_CREATED,
        request=request,
        actor=actor,
        client=client,
        detail=str(service),
    )
    return service
