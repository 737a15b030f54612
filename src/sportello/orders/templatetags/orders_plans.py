from django import template

from sportello.orders import actions
from sportello.orders.models import PlanChange

register = template.Library()


@register.inclusion_tag("orders/_plan_change.html")
def plan_change(service):
    """On the service page: the way to another plan, or the change waiting for payment."""
    waiting = service.plan_changes.filter(status=PlanChange.Status.AWAITING_PAYMENT).first()
    return {
        "service": service,
        "waiting": waiting,
        "has_options": waiting is None and bool(actions.plan_options(service)),
    }
