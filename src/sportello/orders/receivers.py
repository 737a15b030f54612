from django.dispatch import receiver
from django.utils import timezone

from sportello.billing.signals import invoice_paid

from .actions import accept, orders_paid_by


@receiver(invoice_paid)
def accept_paid_orders(sender, invoice, day, **kwargs):
    """An order's invoice paid in full: the order is accepted and its services provisioned."""
    for order in orders_paid_by(invoice):
        accept(order, timezone.now())
