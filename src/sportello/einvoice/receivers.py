from django.utils import timezone

from . import actions


def on_invoices_numbered(sender, invoices, **kwargs):
    """billing.signals.invoices_numbered: in the numbering transaction, freeze the
    e-invoices (Italy) or chain the billing records (Spain)."""
    actions.freeze(invoices, timezone.now())
