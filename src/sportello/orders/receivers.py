from django.dispatch import receiver
from django.utils import timezone

from sportello.billing.signals import invoice_paid

from .actions import accept, apply_plan_change, orders_paid_by, plan_changes_paid_by


@receiver(invoice_paid)
def accept_paid_orders(sender, invoice, day, **kwargs):
    """An order's invoice paid in full: the order is accepted and its services provisioned."""
    for order in orders_paid_by(invoice):
        accept(order, timezone.now())


@receiver(invoice_paid)
def make_paid_plan_changes(sender, invoice, day, **kwargs):
    """An upgrade's invoice paid: the service moves to its new plan."""
    for change in plan_changes_paid_by(invoice):
        apply_plan_change(change, timezone.now())
