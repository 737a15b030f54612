from typing import Any

from sportello.billing.models import Invoice

from . import sales


def on_invoices_numbered(sender: Any, invoices: list[Invoice], **kwargs: Any) -> None:
    """billing.signals.invoices_numbered: in the numbering transaction, add the documents to
    the day totals. The signal also carries the payment notices of a batch, which stay
    unnumbered: those are left out."""
    sales.add_documents(invoice.pk for invoice in invoices if invoice.number is not None)
