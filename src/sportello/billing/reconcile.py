"""Bank-statement reconciliation: credits matched to open invoices, all or nothing."""

import hashlib
import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sportello.accounts.models import Client, User
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


# Legal forms and filler that payers' banks write differently ("SRL", "S.r.l.", "S.L.").
LEGAL_FORMS = {"srl", "srls", "spa", "snc", "sas", "sl", "sa", "slu", "gmbh", "ltd", "sc", "coop",
               "di", "e", "y", "and", "de", "del", "la", "il"}  # fmt: skip


def name_key(name: str) -> tuple[str, ...]:
    """A name reduced to its words, lower case, without punctuation or legal forms, in
    order: "Bianchi Web S.r.l." and "BIANCHI WEB SRL" give the same key."""
    words = re.findall(r"[^\W_]+", name.lower().replace(".", ""))
    return tuple(word for word in words if word not in LEGAL_FORMS)


def suggested_client(payer: str) -> Client | None:
    """The one client whose name or company name is the payer's, written either way round
    ("Mario Rossi", "ROSSI MARIO"); none when there are two or more."""
    key = name_key(payer)
    if not key:
        return None
    longest = max(key, key=len)
    if len(longest) < 3:
        return None
    candidates = Client.objects.filter(
        Q(name__icontains=longest) | Q(company_name__icontains=longest)
    ).only("pk", "name", "company_name", "kind")[:200]
    found = [
        client for client in candidates
        if any(sorted(name_key(name)) == sorted(key)
               for name in (client.name, client.company_name) if name)
    ]  # fmt: skip
    return found[0] if len(found) == 1 else None


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
                    bank_entry.client = suggested.client
                else:
                    bank_entry.client = suggested_client(entry.counterparty)
                bank_entry.save(update_fields=["status", "invoice", "client"])
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
    if bank_entry.status not in (BankEntry.Status.UNMATCHED, BankEntry.Status.SUGGESTED):
        raise ValidationError(_("This credit has already been dealt with."))
    if invoice.kind != Invoice.Kind.INVOICE or invoice.status != Invoice.Status.OPEN:
        raise ValidationError(
            _("%(number)s has nothing left to pay: choose an invoice still open.")
            % {"number": invoice.display_number}
        )
    return _apply(bank_entry, invoice, actor)


def _undecided(bank_entry: BankEntry) -> BankEntry:
    bank_entry = BankEntry.objects.select_for_update().get(pk=bank_entry.pk)
    if bank_entry.status not in (BankEntry.Status.UNMATCHED, BankEntry.Status.SUGGESTED):
        raise ValidationError(_("This credit has already been dealt with."))
    return bank_entry


@transaction.atomic
def credit_entry(bank_entry: BankEntry, client: Client, now: datetime, *, actor: User | None = None,
                 request: HttpRequest | None = None) -> Payment:  # fmt: skip
    """A credit that pays no invoice of its own but is the client's: recorded as their
    payment, which becomes credit on their account (billing.actions.record_payment)."""
    bank_entry = _undecided(bank_entry)
    payment = actions.record_payment(
        client, bank_entry.amount, bank_entry.booking_date, currency=bank_entry.currency,
        reference=bank_entry.entry_id, actor=actor,
    )  # fmt: skip
    bank_entry.status = BankEntry.Status.CREDITED
    bank_entry.client = client
    bank_entry.invoice = None
    bank_entry.payment = payment
    bank_entry.decided_by = actor
    bank_entry.decided_at = now
    bank_entry.save(update_fields=["status", "client", "invoice", "payment", "decided_by",
                                   "decided_at"])  # fmt: skip
    audit.record(
        AuditEvent.Action.BANK_ENTRY_CREDITED, request=request, actor=actor, client=client,
        detail=f"{bank_entry.booking_date} {bank_entry.amount} {bank_entry.currency} "
               f"{bank_entry.counterparty}",
    )  # fmt: skip
    return payment


@transaction.atomic
def dismiss_entry(bank_entry: BankEntry, note: str, now: datetime, *, actor: User | None = None,
                  request: HttpRequest | None = None) -> BankEntry:  # fmt: skip
    """A credit that is no client's payment (a refund from a supplier, a transfer between
    the provider's accounts): set aside with the reason, recording no money."""
    note = " ".join(note.split())
    if not note:
        raise ValidationError(_("Say what this credit is."))
    bank_entry = _undecided(bank_entry)
    bank_entry.status = BankEntry.Status.DISMISSED
    bank_entry.note = note[:300]
    bank_entry.decided_by = actor
    bank_entry.decided_at = now
    bank_entry.save(update_fields=["status", "note", "decided_by", "decided_at"])
    audit.record(
        AuditEvent.Action.BANK_ENTRY_DISMISSED, request=request, actor=actor,
        detail=f"{bank_entry.booking_date} {bank_entry.amount} {bank_entry.currency} "
               f"{bank_entry.counterparty}: {bank_entry.note}",
    )  # fmt: skip
    return bank_entry


@transaction.atomic
def restore_entry(bank_entry: BankEntry, *, actor: User | None = None,
                  request: HttpRequest | None = None) -> BankEntry:  # fmt: skip
    """A credit set aside by mistake goes back among those to match."""
    bank_entry = BankEntry.objects.select_for_update().get(pk=bank_entry.pk)
    if bank_entry.status != BankEntry.Status.DISMISSED:
        raise ValidationError(_("Only a credit set aside can be put back."))
    bank_entry.status = BankEntry.Status.UNMATCHED
    bank_entry.note = ""
    bank_entry.decided_by = actor
    bank_entry.decided_at = None
    bank_entry.save(update_fields=["status", "note", "decided_by", "decided_at"])
    return bank_entry
