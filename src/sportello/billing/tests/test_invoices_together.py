"""Invoices issued together (a daily job's batch) are the invoices issued one by one."""

from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from sportello.billing import actions
from sportello.billing.actions import Line
from sportello.billing.models import BillingSettings, Charge, CreditEntry, Invoice
from sportello.billing.references import rf_reference
from sportello.core.models import AuditEvent
from sportello.testing import make_client

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))

# (client fields, credit, pending charges, lines)
PROFILES = [
    ({"name": "Olga Rossi"}, None, [], [("Hosting", "49.00"), ("Domain", "12.00")]),
    ({"name": "Bär & Co", "country": "DE", "vat_number": "DE136695976"}, None, [], [("VPS", "30")]),
    ({"name": "Acme Inc", "country": "US"}, None, [], [("Hosting", "49.00")]),
    ({"name": "Charges"}, None, [("Password recovery", "15.00"), ("Setup", "5.00")],
     [("Hosting", "49.00")]),
    ({"name": "Some credit"}, "30.00", [], [("Hosting", "49.00")]),
    ({"name": "All credit"}, "100.00", [], [("Hosting", "49.00")]),
    ({"name": "Free renewal"}, None, [], [("Free tier", "0.00")]),
    ({"name": "Olga Rossi"}, None, [], [("Hosting", "0.07"), ("Mail", "0.07"), ("SSL", "0.07")]),
]  # fmt: skip


def clients(tag: str) -> list:
    made = []
    for n, (fields, credit, charges, _lines) in enumerate(PROFILES):
        client = make_client(f"{tag}{n}@example.org", **fields)
        if credit:
            CreditEntry.objects.create(
                client=client, kind=CreditEntry.Kind.ADJUSTMENT, amount=D(credit)
            )
        for description, amount in charges:
            Charge.objects.create(client=client, description=description, amount=D(amount))
        made.append(client)
    return made


def drafts(made: list) -> list:
    return [
        (client, [Line(text, D(price)) for text, price in profile[3]])
        for client, profile in zip(made, PROFILES, strict=True)
    ]


def described(invoice: Invoice) -> dict:
    """Everything about an issued invoice but its id and its client's id and address."""
    invoice.refresh_from_db()
    fields = {
        name: getattr(invoice, name)
        for name in (
            "kind", "purpose", "status", "series", "year", "issued_on", "numbered_on",
            "due_on", "paid_on", "currency", "net_total", "vat_total", "total", "paid_total",
            "vat_note", "billing_name", "billing_address", "billing_country",
            "billing_vat_number", "billing_fiscal_code", "language",
        )
    }  # fmt: skip
    pk, number = invoice.pk, invoice.display_number
    email = invoice.client.emails.get()

    # What it was called before it had a number: in the audit row (the active language)
    # and in the email (the client's).
    notices = [Invoice(pk=pk, status=Invoice.Status.OPEN).display_number]
    with translation.override(invoice.language):
        notices.append(Invoice(pk=pk, status=Invoice.Status.OPEN).display_number)

    def anonymous(text: str) -> str:
        text = text.replace(number, "<number>")
        for notice in notices:
            text = text.replace(notice, "<notice>")
        text = text.replace(f"/{pk}/", "/<id>/")
        return text.replace(invoice.payment_reference, "<reference>")

    return {
        **fields,
        "numbered": invoice.number is not None,
        "reference matches": invoice.payment_reference == rf_reference(pk),
        "lines": list(
            invoice.lines.values_list(
                "description", "quantity", "unit_price", "vat_rate", "net", "position"
            )
        ),
        "charges": sorted(
            Charge.objects.filter(invoice_line__invoice=invoice).values_list(
                "description", "invoice_line__position"
            )
        ),
        "credit": list(invoice.credit_entries.values_list("kind", "amount")),
        "payments": list(invoice.payments.values_list("method", "amount", "applied_to_invoice")),
        "audit": [
            anonymous(detail)
            for detail in AuditEvent.objects.filter(
                client=invoice.client, action=AuditEvent.Action.INVOICE_ISSUED
            ).values_list("detail", flat=True)
        ],
        "email": (
            email.template,
            anonymous(email.subject),
            anonymous(email.body_text),
            anonymous(email.body_html),
            list(email.attachments.values_list("invoice", flat=True)) == [pk],
        ),
    }


@pytest.mark.parametrize("numbering", list(BillingSettings.Numbering))
def test_invoices_issued_together_are_the_invoices_issued_one_by_one(numbering):
    BillingSettings.objects.update_or_create(pk=1, defaults={"numbering": numbering})
    one_by_one = [
        actions.create_invoice(
            client, lines, NOW, purpose=Invoice.Purpose.RENEWAL, include_pending_charges=True
        )
        for client, lines in drafts(clients("single"))
    ]
    together = actions.create_invoices(
        drafts(clients("batch")), NOW, purpose=Invoice.Purpose.RENEWAL,
        include_pending_charges=True,
    )  # fmt: skip
    assert [described(i) for i in together] == [described(i) for i in one_by_one]
    # Numbers continue in the same order, with no gap.
    numbers = [i.number for i in one_by_one + together if i.number is not None]
    assert numbers == list(range(1, len(numbers) + 1))
    assert {i.status for i in together} == {Invoice.Status.OPEN, Invoice.Status.PAID}
    assert not Charge.objects.filter(invoice_line__isnull=True).exists()


def test_a_batch_with_one_invoice_that_cannot_be_issued_issues_none(owner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.create_invoices(
            [(owner, [Line("Hosting", D("49.00"))]), (owner, [Line("Refund", D("-1.00"))])], NOW
        )
    assert not Invoice.objects.exists()
    invoice = actions.create_invoice(owner, [Line("Hosting", D("49.00"))], NOW)
    assert invoice.number == 1
