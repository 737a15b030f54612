from django.utils import timezone

from . import actions


def on_invoices_numbered(sender, invoices, **kwargs):
    """billing.signals.invoices_numbered: in the numbering transaction, freeze the
    e-invoices (Italy) or chain the billing records (Spain)."""
    actions.freeze(invoices, timezone.now())


def on_invoice_delivery_given(sender, client, recipient_code, pec, **kwargs):
    """accounts.actions.invoice_delivery_given: the client's SdI code or PEC, from sign-up
    or their profile, becomes their recipient profile."""
    actions.set_recipient(client, recipient_code=recipient_code, pec=pec)
