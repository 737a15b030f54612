"""The client's statement of account for a year, and the year's invoices in one ZIP.

Debits are the fiscal documents the client owes (numbered invoices); credits are credit
notes and payments received. Money the client adds to their balance is a payment like
any other, so the "add funds" invoice it settles is not a debit, and an invoice paid from
that balance is not paid twice: what is left of it shows as a balance in the client's
favour. Payment notices are not fiscal documents: they appear once numbered."""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet, Sum
from django.utils import translation
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from sportello.accounts.models import Client
from sportello.core.money import ZERO

from .models import Invoice, Payment


@dataclass
class Row:
    day: date
    document: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal = ZERO


def _documents(client: Client) -> QuerySet[Invoice]:
    return (
        client.invoices.filter(number__isnull=False)
        .exclude(status=Invoice.Status.DRAFT)
        .exclude(purpose=Invoice.Purpose.FUNDS)
    )


def _payments(client: Client) -> QuerySet[Payment]:
    return client.payments.exclude(method=Payment.Method.CREDIT)


def _signed(invoice: Invoice) -> tuple[Decimal, Decimal]:
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        return ZERO, invoice.total
    return invoice.total, ZERO


def opening_balance(client: Client, year: int) -> Decimal:
    """What the client owed on 1 January of `year` (negative: in their favour)."""
    before = _documents(client).filter(numbered_on__year__lt=year)
    owed = before.filter(kind=Invoice.Kind.INVOICE).aggregate(s=Sum("total"))["s"] or ZERO
    notes = before.filter(kind=Invoice.Kind.CREDIT_NOTE).aggregate(s=Sum("total"))["s"] or ZERO
    paid = _payments(client).filter(received_on__year__lt=year).aggregate(s=Sum("amount"))["s"]
    return owed - notes - (paid or ZERO)


def rows(client: Client, year: int) -> tuple[Decimal, list[Row]]:
    """The opening balance and the year's movements in date order, each with the balance
    after it."""
    result = []
    for invoice in _documents(client).filter(numbered_on__year=year):
        debit, credit = _signed(invoice)
        result.append(
            Row(invoice.numbered_on or invoice.issued_on or date(year, 1, 1),
                invoice.display_number,
                str(capfirst(invoice.get_kind_display())), debit, credit)
        )  # fmt: skip
    for payment in _payments(client).filter(received_on__year=year).select_related("invoice"):
        target = payment.invoice.display_number if payment.invoice else ""
        result.append(
            Row(payment.received_on, target, str(_("Payment: %(method)s") % {
                "method": payment.get_method_display()}), ZERO, payment.amount)
        )  # fmt: skip
    result.sort(key=lambda row: (row.day, row.credit > 0))
    opening = balance = opening_balance(client, year)
    for row in result:
        balance = balance + row.debit - row.credit
        row.balance = balance
    return opening, result


def invoice_years(client: Client) -> set[int]:
    """Years with a fiscal document to put in a ZIP."""
    documents = client.invoices.filter(number__isnull=False).exclude(status=Invoice.Status.DRAFT)
    return {y for y in documents.values_list("numbered_on__year", flat=True) if y}


def years(client: Client) -> list[int]:
    """Years with a fiscal document or a payment, newest first."""
    found = set(_documents(client).values_list("numbered_on__year", flat=True))
    found |= set(_payments(client).values_list("received_on__year", flat=True))
    return sorted((y for y in found if y), reverse=True)


def as_csv(client: Client, year: int) -> bytes:
    """Dates ISO, amounts with a dot: a file for a spreadsheet or an accountant."""
    opening, movements = rows(client, year)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Date"), _("Document"), _("Description"), _("Debit"), _("Credit"),
                     _("Balance")])  # fmt: skip
    writer.writerow([date(year, 1, 1).isoformat(), "", _("Opening balance"), "", "", opening])
    for row in movements:
        writer.writerow([row.day.isoformat(), row.document, row.description,
                         row.debit or "", row.credit or "", row.balance])  # fmt: skip
    # A byte-order mark, so spreadsheet programs read the accents right.
    return ("\ufeff" + out.getvalue()).encode()


def as_pdf(client: Client, year: int, language: str) -> bytes:
    from django.template.loader import render_to_string

    from sportello.core.formatting import fix_date_articles
    from sportello.core.models import Provider

    with translation.override(language):
        opening, movements = rows(client, year)
        html = render_to_string(
            "billing/statement_pdf.html",
            {
                "client": client,
                "year": year,
                "opening": opening,
                "rows": movements,
                "closing": movements[-1].balance if movements else opening,
                "provider": Provider.current(),
                "printed_on": date_format(date.today(), "DATE_FORMAT"),
            },
        )
        document = fix_date_articles(html)
    from weasyprint import HTML

    return bytes(HTML(string=document).write_pdf())


def invoices_zip(client: Client, year: int) -> bytes | None:
    """Every fiscal document of the year as PDF in one ZIP; None when there is none."""
    from .actions import pdf_filename
    from .pdf import invoice_pdf

    invoices = list(
        client.invoices.filter(number__isnull=False, numbered_on__year=year)
        .exclude(status=Invoice.Status.DRAFT)
        .order_by("kind", "number")
    )
    if not invoices:
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for invoice in invoices:
            archive.writestr(pdf_filename(invoice), invoice_pdf(invoice))
    return buffer.getvalue()
