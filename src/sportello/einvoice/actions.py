"""Electronic-invoice operations: freezing, building and validating FatturaPA files, sending
them, applying the SdI's receipts, correcting a rejected invoice; VERI*FACTU records and
their submission. Each is one transaction; receipts and records are only ever added."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import httpx
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from sportello.accounts.models import Client
from sportello.billing import actions as billing
from sportello.billing.models import BillingSettings, Invoice, InvoiceLine
from sportello.core import audit
from sportello.core.models import AuditEvent, Provider

from . import fatturapa, receipts, schemas, sdi_rules, transport, verifactu
from .models import (
    EInvoice,
    EInvoiceSettings,
    FileSequence,
    Receipt,
    RecipientProfile,
    SentFile,
    VerifactuChain,
    VerifactuEvent,
    VerifactuRecord,
)

Status = EInvoice.Status
Action = AuditEvent.Action
# Where the SdI's answer leaves a file, strongest first: a later receipt of a weaker kind
# (an RC arriving after the NE, say) never undoes a stronger one.
OUTCOME_ORDER = ["NS", "NE", "DT", "RC", "MC", "AT"]
AWAITING = (Status.SENT, Status.DELIVERED, Status.NOT_DELIVERED)
# A rejected file may be sent again with the same number and date within 5 days of the
# rejection (Agenzia delle Entrate, circular 13/E of 2 July 2018).
RESEND_DAYS = 5


# --- Freezing at numbering --------------------------------------------------------------


def freeze(invoices: Iterable[Invoice], now: datetime) -> None:
    """Called in the transaction that numbers `invoices`: an e-invoice per fiscal document
    for an Italian issuer (its recipient's delivery data frozen now), a chained billing
    record for a Spanish one."""
    numbered = [invoice for invoice in invoices if invoice.number is not None]
    if not numbered:
        return
    home = BillingSettings.current().home_country
    if home == "IT":
        _freeze_fatturapa(numbered)
    elif home == "ES":
        for invoice in numbered:
            record_registration(invoice, now)


def _freeze_fatturapa(invoices: list[Invoice]) -> None:
    clients = {invoice.client_id for invoice in invoices}
    profiles = {
        profile.client_id: profile
        for profile in RecipientProfile.objects.filter(client_id__in=clients)
    }
    people = Client.objects.in_bulk(clients)
    rows = []
    for invoice in invoices:
        client = people[invoice.client_id]
        profile = profiles.get(invoice.client_id) or RecipientProfile(client=client)
        credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
        rows.append(
            EInvoice(
                invoice=invoice,
                document_type="TD04" if credit_note else "TD01",
                format="FPA12" if profile.public_administration else "FPR12",
                recipient_code=profile.recipient_code,
                recipient_pec=profile.pec,
                street=client.address,
                postcode=client.postcode,
                city=client.city,
                province=client.province,
                public_administration=profile.public_administration,
                split_payment=profile.split_payment,
            )
        )
    EInvoice.objects.bulk_create(rows, ignore_conflicts=True)


def set_recipient(client: Client, *, recipient_code: str, pec: str) -> RecipientProfile:
    """How the client's e-invoices reach them; invoices frozen already keep theirs."""
    profile, _created = RecipientProfile.objects.update_or_create(
        client=client, defaults={"recipient_code": recipient_code, "pec": pec}
    )
    return profile


def stamp_duty_lines(invoice: Invoice, lines: list[InvoiceLine]) -> list[billing.Line]:
    """Registered with billing for each invoice it drafts: the €2 stamp duty as a line of
    its own, out of the VAT base, when an Italian provider recharges it to the client and
    the amounts without VAT exceed €77.47. Not recharged, the duty is still declared in the
    file (DatiBollo) and the provider bears it."""
    if invoice.kind != Invoice.Kind.INVOICE or invoice.purpose == Invoice.Purpose.FUNDS:
        return []
    if invoice.currency != "EUR" or any(fatturapa.is_stamp_duty(line) for line in lines):
        return []
    if not fatturapa.stamp_duty_due(invoice, lines):
        return []
    if BillingSettings.current().home_country != "IT":
        return []
    if not EInvoiceSettings.current().stamp_duty_recharged:
        return []
    return [billing.Line(fatturapa.STAMP_DUTY_LINE, fatturapa.STAMP_DUTY, vat_rate=Decimal(0))]


# --- Building and validating ------------------------------------------------------------


def next_progressive() -> str:
    """A progressive never given before, whatever file it ends up in."""
    assert transaction.get_connection().in_atomic_block, "taken inside a transaction"
    sequence, _created = FileSequence.objects.select_for_update().get_or_create(pk=1)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return fatturapa.to_base36(sequence.last)


def validate(xml: bytes) -> list[dict[str, str]]:
    """Both layers: the official XSD, then the SdI's rules the XSD cannot express."""
    errors = schemas.xsd_errors(xml)
    return errors or sdi_rules.check(xml)


@transaction.atomic
def build(einvoice: EInvoice) -> EInvoice:
    """The file of an e-invoice not sent yet, under a new name; valid or with its errors."""
    einvoice = (
        EInvoice.objects.select_for_update(of=("self",))
        .select_related("invoice__corrects")
        .get(pk=einvoice.pk)
    )
    if einvoice.status not in (Status.NEW, Status.INVALID, Status.TO_SEND, Status.REJECTED):
        raise ValidationError(_("This e-invoice has already left: it cannot be rebuilt."))
    provider = Provider.current()
    if not provider.vat_number:
        einvoice.errors = [
            {
                "code": "CHK",
                "path": "CedentePrestatore",
                "message": "Partita IVA del fornitore mancante",
            }
        ]
        einvoice.status = Status.INVALID
        einvoice.save(update_fields=["errors", "status"])
        return einvoice
    progressive = next_progressive()
    invoice = einvoice.invoice
    document = fatturapa.Document(
        einvoice=einvoice,
        invoice=invoice,
        lines=list(invoice.lines.all()),
        provider=provider,
        settings=EInvoiceSettings.current(),
        billing=BillingSettings.current(),
        progressive=progressive,
    )
    xml = fatturapa.build(document)
    einvoice.filename = fatturapa.file_name(provider.vat_number, progressive)
    einvoice.xml = xml.decode()
    einvoice.errors = validate(xml)
    einvoice.status = Status.INVALID if einvoice.errors else Status.TO_SEND
    einvoice.save(update_fields=["filename", "xml", "errors", "status"])
    return einvoice


# --- Sending ----------------------------------------------------------------------------


@transaction.atomic
def transmit(einvoice: EInvoice, now: datetime, channel: transport.Channel) -> EInvoice:
    """Send a valid file by `channel`. The row stays locked while the file travels, so two
    workers never send it twice; a refusal leaves it to send."""
    einvoice = EInvoice.objects.select_for_update().get(pk=einvoice.pk)
    if einvoice.status != Status.TO_SEND:
        return einvoice
    sent = channel.send(einvoice.filename, einvoice.xml.encode())
    SentFile.objects.create(
        einvoice=einvoice, filename=einvoice.filename, xml=einvoice.xml, channel=channel.name,
        sent_at=now, remote_id=sent.remote_id,
    )  # fmt: skip
    einvoice.status = Status.SENT
    einvoice.sent_at = now
    einvoice.save(update_fields=["status", "sent_at"])
    return einvoice


def export(einvoices: list[EInvoice], now: datetime, *, period: str = "",
           request: HttpRequest | None = None) -> bytes:  # fmt: skip
    """A ZIP of the files for the accountant; files waiting to be sent are handed over."""
    data = transport.export_zip(einvoices)
    with transaction.atomic():
        audit.record(
            Action.EINVOICES_EXPORTED, request=request,
            detail=f"fatture-{period}.zip ({len(einvoices)})",
        )  # fmt: skip
        for einvoice in einvoices:
            if einvoice.status == Status.TO_SEND:
                SentFile.objects.get_or_create(
                    filename=einvoice.filename,
                    defaults={"einvoice": einvoice, "xml": einvoice.xml, "channel": "export",
                              "sent_at": now},
                )  # fmt: skip
        EInvoice.objects.filter(
            pk__in=[einvoice.pk for einvoice in einvoices], status=Status.TO_SEND
        ).update(status=Status.EXPORTED, sent_at=now)
    return data


# --- Receipts ---------------------------------------------------------------------------


@dataclass
class Applied:
    einvoice: EInvoice
    receipt: Receipt
    new: bool


def apply_receipt(xml: bytes, now: datetime, *, request: HttpRequest | None = None) -> Applied:
    """Apply an SdI notice: kept with its e-invoice, and the e-invoice's state follows the
    receipts of its current file. The same notice applied twice changes nothing. With
    `request`, staff uploaded it: the upload is audited, even of a notice already kept."""
    parsed = receipts.parse(xml)
    with transaction.atomic():
        sent = (
            SentFile.objects.select_related("einvoice")
            .filter(Q(filename=parsed.invoice_filename) | Q(remote_id=parsed.invoice_filename))
            .first()
        )
        if sent is None:
            raise ValidationError(
                _("No file named %(name)s was sent.") % {"name": parsed.invoice_filename}
            )
        einvoice = EInvoice.objects.select_for_update().get(pk=sent.einvoice_id)
        receipt, new = Receipt.objects.get_or_create(
            einvoice=einvoice, kind=parsed.kind, message_id=parsed.message_id,
            defaults={
                "filename": sent.filename, "sdi_identifier": parsed.sdi_identifier,
                "outcome": parsed.outcome, "errors": parsed.errors, "xml": xml.decode(),
            },
        )  # fmt: skip
        if new and sent.filename == einvoice.filename:
            _follow_receipts(einvoice, now)
        if request is not None:
            audit.record(
                Action.EINVOICE_RECEIPT_UPLOADED, request=request, client=einvoice.invoice.client,
                detail=f"{receipt.kind} {parsed.message_id} → {sent.filename}"
                + ("" if new else " (already kept)"),
            )  # fmt: skip
    return Applied(einvoice, receipt, new)


def _follow_receipts(einvoice: EInvoice, now: datetime) -> None:
    if einvoice.status in (Status.CORRECTED, Status.INTERNAL):
        return
    current = list(einvoice.receipts.filter(filename=einvoice.filename))
    if not current:
        return
    strongest = min(current, key=lambda receipt: OUTCOME_ORDER.index(receipt.kind))
    state = {
        "NS": Status.REJECTED,
        "DT": Status.EXPIRED,
        "RC": Status.DELIVERED,
        "MC": Status.NOT_DELIVERED,
        "AT": Status.NOT_DELIVERED,
        "NE": Status.ACCEPTED if strongest.outcome == "EC01" else Status.REFUSED,
    }[strongest.kind]
    einvoice.status = state
    einvoice.sdi_identifier = strongest.sdi_identifier or einvoice.sdi_identifier
    einvoice.errors = strongest.errors if state == Status.REJECTED else []
    einvoice.outcome_at = now
    einvoice.save(update_fields=["status", "sdi_identifier", "errors", "outcome_at"])


def poll_intermediary(channel: transport.ArubaChannel, now: datetime) -> int:
    """Read the notices of files sent through the intermediary and not settled yet."""
    applied = 0
    waiting = SentFile.objects.filter(
        channel=channel.name, einvoice__status__in=AWAITING
    ).select_related("einvoice")
    for sent in waiting:
        if sent.filename != sent.einvoice.filename:
            continue
        for xml in channel.notifications(sent.remote_id):
            try:
                applied += apply_receipt(xml, now).new
            except (receipts.NotAReceipt, ValidationError):
                continue
    return applied


# --- Correcting a rejected invoice ------------------------------------------------------


def rejected_on(einvoice: EInvoice) -> date | None:
    receipt = einvoice.receipts.filter(kind="NS", filename=einvoice.filename).first()
    return timezone.localdate(receipt.received_at) if receipt else None


@transaction.atomic
def resend(einvoice: EInvoice, now: datetime, *, request: HttpRequest | None = None) -> EInvoice:
    """Send a rejected invoice again, same number and date, under a new file name, with the
    recipient's delivery data as they are now (what an NS for a wrong code asks)."""
    einvoice = EInvoice.objects.select_for_update().get(pk=einvoice.pk)
    if einvoice.status != Status.REJECTED:
        raise ValidationError(_("Only a rejected e-invoice can be sent again."))
    day = rejected_on(einvoice)
    if day is not None and (timezone.localdate(now) - day).days > RESEND_DAYS:
        raise ValidationError(
            _("More than 5 days since the rejection: correct it with a new invoice.")
        )
    profile = RecipientProfile.objects.filter(client_id=einvoice.invoice.client_id).first()
    if profile is not None:
        einvoice.recipient_code = profile.recipient_code
        einvoice.recipient_pec = profile.pec
        einvoice.save(update_fields=["recipient_code", "recipient_pec"])
    rejected_file = einvoice.filename
    einvoice = build(einvoice)
    audit.record(
        Action.EINVOICE_RESENT, request=request, client=einvoice.invoice.client,
        detail=f"{einvoice.invoice.display_number}: {rejected_file} → {einvoice.filename}",
    )  # fmt: skip
    return einvoice


@transaction.atomic
def correct_rejected(einvoice: EInvoice, now: datetime, *,
                     request: HttpRequest | None = None) -> Invoice:  # fmt: skip
    """The legal correction of a rejected invoice: it is cancelled by an internal credit
    note (never sent to the SdI) and a new invoice with a new number bills the same lines;
    the rejected one is kept."""
    einvoice = EInvoice.objects.select_for_update().select_related("invoice").get(pk=einvoice.pk)
    if einvoice.status != Status.REJECTED:
        raise ValidationError(_("Only a rejected e-invoice is corrected with a new invoice."))
    original = einvoice.invoice
    lines = [
        billing.Line(
            line.description, line.unit_price, line.quantity, period_start=line.period_start,
            period_end=line.period_end, vat_rate=line.vat_rate,
        )
        for line in original.lines.all()
    ]  # fmt: skip
    note = billing.issue_credit_note(
        original, now, reason=_("Rejected by the SdI: replaced by a new invoice")
    )
    EInvoice.objects.filter(invoice=note).update(status=Status.INTERNAL)
    new = billing.create_invoice(original.client, lines, now, purpose=original.purpose)
    einvoice.status = Status.CORRECTED
    einvoice.corrected_by = new
    einvoice.save(update_fields=["status", "corrected_by"])
    audit.record(
        Action.EINVOICE_CORRECTED, request=request, client=original.client,
        detail=f"{original.display_number} ({einvoice.filename}) → {note.display_number}, "
        f"{new.display_number}",
    )  # fmt: skip
    return new


# --- VERI*FACTU -------------------------------------------------------------------------


def _chain_head() -> VerifactuChain:
    VerifactuChain.current()
    return VerifactuChain.objects.select_for_update().get(pk=1)


def _add_record(
    invoice: Invoice,
    record: verifactu.RegistroAlta | verifactu.RegistroAnulacion,
    kind: str,
    now: datetime,
) -> VerifactuRecord:
    head = _chain_head()  # locked: records are chained one at a time
    xml = verifactu.chain(record, head, now)
    assert record.fecha_hora_huso_gen is not None
    link = record.como_anterior()
    provider = Provider.current()
    is_registration = isinstance(record, verifactu.RegistroAlta)
    row = VerifactuRecord.objects.create(
        position=head.last_position + 1,
        invoice=invoice,
        kind=kind,
        invoice_type=record.tipo_factura_str if is_registration else "",  # type: ignore[union-attr]
        issuer_nif=link.id_emisor,
        number=link.num_serie,
        issue_date=link.fecha_expedicion,
        vat_total=Decimal(record.cuota_total_str()) if is_registration else Decimal(0),  # type: ignore[union-attr]
        total=Decimal(record.importe_total_str()) if is_registration else Decimal(0),  # type: ignore[union-attr]
        previous_hash=head.last_hash,
        generated_at=record.fecha_hora_huso_gen.isoformat(),
        hash=link.huella,
        qr_url=verifactu.qr_url(invoice, provider, EInvoiceSettings.current())
        if is_registration
        else "",
        xml=xml,
    )
    head.last_position = row.position
    head.last_hash = link.huella
    head.last_issuer, head.last_number, head.last_date = (
        link.id_emisor, link.num_serie, link.fecha_expedicion,
    )  # fmt: skip
    head.save()
    if row.position == 1:
        VerifactuEvent.objects.create(kind="chain_started", detail=row.hash)
    return row


@transaction.atomic
def record_registration(invoice: Invoice, now: datetime) -> VerifactuRecord | None:
    """The billing record of an issued invoice or credit note; None if it has one."""
    if VerifactuRecord.objects.filter(
        invoice=invoice, kind=VerifactuRecord.Kind.REGISTRATION
    ).exists():
        return None
    record = verifactu.registration(invoice, Provider.current())
    try:
        with transaction.atomic():
            return _add_record(invoice, record, VerifactuRecord.Kind.REGISTRATION, now)
    except IntegrityError:
        return None


@transaction.atomic
def record_cancellation(invoice: Invoice, now: datetime) -> VerifactuRecord:
    """A cancellation record for an invoice issued by mistake (its registration stays)."""
    if not VerifactuRecord.objects.filter(invoice=invoice, kind="alta").exists():
        raise ValidationError(_("This invoice has no billing record to cancel."))
    record = verifactu.cancellation(invoice, Provider.current())
    row = _add_record(invoice, record, VerifactuRecord.Kind.CANCELLATION, now)
    VerifactuEvent.objects.create(kind="record_cancelled", detail=invoice.display_number)
    return row


def verifactu_url(settings: EInvoiceSettings) -> str:
    from verifactu_sdk.client import ENDPOINTS

    return settings.verifactu_url or ENDPOINTS[(verifactu.environment(settings), False)]


def submit_records(now: datetime, client: httpx.Client | None = None) -> dict[str, int]:
    """Send the records not yet accepted (at most 1000 a request, as the AEAT allows)."""
    from verifactu_sdk import ErrorAEAT, parsear_respuesta, sobre_soap, validar

    pending = list(
        VerifactuRecord.objects.filter(status=VerifactuRecord.Status.PENDING).order_by("position")[
            :1000
        ]
    )
    if not pending:
        return {"sent": 0, "accepted": 0, "rejected": 0}
    request = verifactu.merge_requests([record.xml for record in pending])
    validar(request)
    settings = EInvoiceSettings.current()
    http = client or httpx.Client(
        timeout=60,
        cert=settings.verifactu_certificate or None,
    )
    try:
        response = http.post(
            verifactu_url(settings),
            content=sobre_soap(request),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        )
        answer = parsear_respuesta(response.content)
    except (httpx.HTTPError, ErrorAEAT, etree.XMLSyntaxError) as error:
        VerifactuEvent.objects.create(kind="send_failed", detail=str(error)[:500])
        return {"sent": 0, "accepted": 0, "rejected": 0, "failed": len(pending)}
    by_number = {(line.num_serie, line.tipo_operacion): line for line in answer.lineas}
    counts = {"sent": len(pending), "accepted": 0, "rejected": 0}
    with transaction.atomic():
        for record in pending:
            operation = "Alta" if record.kind == VerifactuRecord.Kind.REGISTRATION else "Anulacion"
            line = by_number.get((record.number, operation))
            if line is None:
                continue
            record.status = {
                "Correcto": VerifactuRecord.Status.ACCEPTED,
                "AceptadoConErrores": VerifactuRecord.Status.ACCEPTED_WITH_ERRORS,
            }.get(line.estado, VerifactuRecord.Status.REJECTED)
            record.error_code = str(line.codigo_error or "")
            record.error_text = (line.descripcion_error or "")[:500]
            record.csv = answer.csv or ""
            record.sent_at = now
            record.save(update_fields=["status", "error_code", "error_text", "csv", "sent_at"])
            counts["accepted" if line.aceptado else "rejected"] += 1
        VerifactuEvent.objects.create(
            kind="records_sent", detail=f"{answer.estado} {counts['accepted']}/{len(pending)}"
        )
    return counts


def chain_breaks() -> list[int]:
    """Positions whose record does not point at the fingerprint of the one before."""
    broken = []
    previous = ""
    for position, previous_hash, hash_ in VerifactuRecord.objects.order_by("position").values_list(
        "position", "previous_hash", "hash"
    ):
        if previous_hash != previous:
            broken.append(position)
        previous = hash_
    return broken
