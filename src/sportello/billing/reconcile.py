"""Bank-statement reconciliation: credits matched to open invoices, all or nothing."""

import hashlib
import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sportello.accounts.models import User
from sportello.core import audit
from sportello.core.models import AuditEvent

from . import actions
from .models import BankEntry, Invoice, Payment, StatementImport
from .references import invoice_id_from_reference
from .statements import StatementEntry, StatementError, credits, parse_statement

INVOICE_NUMBER = re.compile(r"\b(20\d\d)\s*/\s*0*(\d{1,6})\b")


def _by_reference(entry: StatementEntry) -> Invoice | None:
    invoice_id = invoice_id_from_reference(entry.reference) if entry.reference else None
    if invoice_id is None:
        return None
    return Invoice.objects.filter(pk=invoice_id, status=Invoice.Status.OPEN).first()


def _by_number(entry: StatementEntry) -> Invoice | None:
    for year, number in INVOICE_NUMBER.findall(entry.remittance):
        invoice = Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE, year=int(year), number=int(number),
            status=Invoice.Status.OPEN,
        ).first()  # fmt: skip
        if invoice:
            return invoice
    return None


def _suggestion(entry: StatementEntry) -> Invoice | None:
    """Same amount due and the client's name in the payer's: likely, so only suggested."""
    if not entry.counterparty:
        return None
    payer = entry.counterparty.lower()
    candidates = Invoice.objects.filter(
        status=Invoice.Status.OPEN, total=entry.amount, paid_total=0, credited_total=0
    ).select_related("client")
    for invoice in candidates[:50]:
        names = {invoice.client.name.lower(), invoice.client.display_name.lower()}
        if any(name and (name in payer or payer in name) for name in names):
            return invoice
    return None


@transaction.atomic
def import_statement(data: bytes, filename: str, now: datetime, *, actor: User | None = None,
                     request: HttpRequest | None = None) -> StatementImport:  # fmt: skip
    """Apply a CAMT.053 or MT940 file. One transaction: every matched payment is applied or
    none is. Entries already imported (same account and bank reference) are skipped, so the
    same statement imported twice applies nothing new."""
    try:
        statements = parse_statement(data, filename)
    except StatementError as error:
        raise ValidationError(_("The file was refused: %(error)s") % {"error": error}) from error
    record = StatementImport.objects.create(
        filename=filename[:200], format=statements[0].format if statements else "",
        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor,
    )  # fmt: skip
    for statement in statements:
        for entry in credits([statement]):
            if BankEntry.objects.filter(
                account=statement.account, entry_id=entry.entry_id
            ).exists():
                continue
            record.new_entries += 1
            invoice = None
            if entry.currency == "EUR":
                invoice = _by_reference(entry) or _by_number(entry)
            bank_entry = BankEntry.objects.create(
                statement=record, account=statement.account, entry_id=entry.entry_id,
                booking_date=entry.booking_date, amount=entry.amount, currency=entry.currency,
                counterparty=entry.counterparty[:200], remittance=entry.remittance,
                reference=entry.reference[:40], status=BankEntry.Status.UNMATCHED,
            )  # fmt: skip
            if invoice is not None:
                _apply(bank_entry, invoice, actor)
                record.matched += 1
            else:
                suggested = _suggestion(entry) if entry.currency == "EUR" else None
                if suggested is not None:
                    bank_entry.status = BankEntry.Status.SUGGESTED
                    bank_entry.invoice = suggested
                    bank_entry.save(update_fields=["status", "invoice"])
    record.save(update_fields=["new_entries", "matched"])
    audit.record(
        AuditEvent.Action.STATEMENT_IMPORTED, request=request, actor=actor,
        detail=f"{filename}: {record.new_entries} new, {record.matched} matched",
    )  # fmt: skip
    return record


def _apply(bank_entry: BankEntry, invoice: Invoice, actor: User | None) -> Payment:
    payment = actions.record_payment(
        invoice.client, bank_entry.amount, bank_entry.booking_date, currency=bank_entry.currency,
        invoice=invoice, reference=bank_entry.entry_id, actor=actor,
    )  # fmt: skip
    bank_entry.status = BankEntry.Status.MATCHED
    bank_entry.invoice = invoice
    bank_entry.payment = payment
    bank_entry.save(update_fields=["status", "invoice", "payment"])
    return payment


@transaction.atomic
def match_entry(bank_entry: BankEntry, invoice: Invoice, *, actor: User | None = None) -> Payment:
    """Staff confirm a suggestion or match an entry by hand."""
    bank_entry = BankEntry.objects.select_for_update().get(pk=bank_entry.pk)
    if bank_entry.status == BankEntry.Status.MATCHED:
        raise ValidationError(_("This entry is already matched."))
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status != Invoice.Status.OPEN:
        raise ValidationError(
            _("%(number)s has nothing left to pay: choose an invoice still open.")
            % {"number": invoice.display_number}
        )
    return _apply(bank_entry, invoice, actor)
