"""What invoice pages show about online payments: "pay now" for the client, the online
payments and refunds for billing staff."""

from django.template.loader import render_to_string

from sportello.accounts.models import Client
from sportello.billing.models import Invoice
from sportello.core.money import ZERO

from . import actions
from .models import Checkout


def invoice_block(invoice: Invoice, place: str) -> str:
    if place == "panel":
        if invoice.kind != Invoice.Kind.INVOICE:
            return ""
        pending = invoice.status == Invoice.Status.OPEN and invoice.payment_pending
        payable = invoice.status == Invoice.Status.OPEN and not invoice.payment_pending
        offered = actions.choices() if payable else []
        if not (offered or pending):
            return ""
        context = {"invoice": invoice, "choices": offered, "pending": pending}
        return render_to_string("payments/_invoice_panel.html", context)
    if place == "desk":
        checkouts = list(
            Checkout.objects.filter(items__invoice=invoice)
            .exclude(status=Checkout.Status.OPEN, session_id="")
            .prefetch_related("refunds")
            .distinct()
        )
        if not checkouts:
            return ""
        notes = []
        for note in Invoice.objects.filter(
            client=invoice.client_id, kind=Invoice.Kind.CREDIT_NOTE, corrects__isnull=False
        ).order_by("-id")[:20]:
            note.left = actions.left_to_refund(note)  # type: ignore[attr-defined]
            if note.left > 0:  # type: ignore[attr-defined]
                notes.append(note)
        for checkout in checkouts:
            checkout.refundable = actions.refundable(checkout)  # type: ignore[attr-defined]
            # What the form offers: as much as both the payment and the first note allow.
            checkout.refund_default = min(  # type: ignore[attr-defined]
                [checkout.refundable, *[note.left for note in notes[:1]]]  # type: ignore[attr-defined]
            )
        context = {"invoice": invoice, "checkouts": checkouts, "credit_notes": notes}
        return render_to_string("payments/desk/_invoice_desk.html", context)
    return ""


def client_block(client: Client, place: str) -> str:
    if place != "invoices":
        return ""
    invoices = actions.payable_invoices(client)
    if not invoices or not actions.choices():
        return ""
    total = sum((invoice.amount_due for invoice in invoices), ZERO)
    return render_to_string("payments/_invoices_panel.html", {"invoices": invoices, "total": total})
