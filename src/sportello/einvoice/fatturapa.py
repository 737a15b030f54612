"""FatturaPA 1.2.3 XML from an invoice's frozen snapshot: one function per block of the
schema. Amounts are the invoice's own (lines, and net and VAT per rate as billing computed
them); nothing is read from the client's live record."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from sportello.accounts.fiscal import EU_COUNTRIES
from sportello.billing.models import BillingSettings, Invoice, InvoiceLine, Payment
from sportello.core.models import Provider
from sportello.core.money import ZERO, cents

from .models import EInvoice, EInvoiceSettings

NS = "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

# Virtual stamp duty (DPR 642/72, tariff art. 13): €2 on an invoice whose amounts outside
# VAT exceed €77.47.
STAMP_DUTY = Decimal("2.00")
STAMP_DUTY_THRESHOLD = Decimal("77.47")
FOREIGN_RECIPIENT = "XXXXXXX"
NO_CODE = "0000000"


@dataclass(frozen=True)
class Nature:
    code: str
    wording: str  # RiferimentoNormativo: the law the line is without VAT under
    stamp_duty: bool  # whether these amounts count towards the stamp-duty threshold


# The Natura of a line without VAT, by the invoice's VAT note (billing.Invoice.VatNote).
NATURES = {
    Invoice.VatNote.REVERSE_CHARGE: Nature(
        "N2.1",
        "Operazione non soggetta ad IVA ai sensi dell'art. 7-ter DPR 633/72 - "
        "inversione contabile art. 196 Direttiva 2006/112/CE",
        True,
    ),
    Invoice.VatNote.OUT_OF_SCOPE: Nature(
        "N2.1", "Operazione non soggetta ad IVA ai sensi dell'art. 7-ter DPR 633/72", True
    ),
    # A line at 0% on an invoice with VAT (a refund of costs, a stamp duty recharged).
    Invoice.VatNote.NONE: Nature("N1", "Escluse ex art. 15 DPR 633/72", True),
}
# Codes that never carry the stamp duty: exports and intra-EU supplies of goods (N3.1-N3.3),
# reverse charge where the client pays the VAT (N6.x).
NO_STAMP_DUTY_PREFIXES = ("N3.1", "N3.2", "N3.3", "N6")
# The stamp duty recharged to the client is a sum paid in the client's name, excluded from
# the VAT base whatever the invoice's other lines are (art. 15 DPR 633/72). Its line is
# named in Italian on every invoice: it is an Italian tax, named as the law names it.
STAMP_DUTY_LINE = "Imposta di bollo"
STAMP_DUTY_NATURE = Nature("N1", "Escluse ex art. 15 DPR 633/72", False)


@dataclass
class Document:
    """What the builder reads, gathered once."""

    einvoice: EInvoice
    invoice: Invoice
    lines: list[InvoiceLine]
    provider: Provider
    settings: EInvoiceSettings
    billing: BillingSettings
    progressive: str


def nature_of(invoice: Invoice) -> Nature:
    return NATURES.get(Invoice.VatNote(invoice.vat_note), NATURES[Invoice.VatNote.NONE])


def amount(value: Decimal) -> str:
    return f"{cents(Decimal(value)):.2f}"


def rate_text(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01')):.2f}"


def split_vat(vat_number: str, country: str) -> tuple[str, str]:
    """("IT", "01234567890") from "IT01234567890" (EU numbers are kept with their prefix)."""
    value = vat_number.strip().upper().replace(" ", "")
    if len(value) > 2 and value[:2].isalpha():
        prefix = "GR" if value[:2] == "EL" else value[:2]
        return prefix, value[2:]
    return country or "IT", value


def is_stamp_duty(line: InvoiceLine) -> bool:
    """The line recharging the stamp duty (on a credit note, the line giving it back)."""
    return (
        line.description == STAMP_DUTY_LINE
        and Decimal(line.vat_rate) == 0
        and abs(Decimal(line.net)) == STAMP_DUTY
    )


def line_nature(invoice: Invoice, line: InvoiceLine) -> Nature:
    return STAMP_DUTY_NATURE if is_stamp_duty(line) else nature_of(invoice)


def stamp_duty_due(invoice: Invoice, lines: list[InvoiceLine]) -> bool:
    """Whether the amounts without VAT, the recharged duty itself aside, exceed €77.47."""
    nature = nature_of(invoice)
    if not nature.stamp_duty or nature.code.startswith(NO_STAMP_DUTY_PREFIXES):
        return False
    free = sum(
        (line.net for line in lines if Decimal(line.vat_rate) == 0 and not is_stamp_duty(line)),
        ZERO,
    )
    return free > STAMP_DUTY_THRESHOLD


def recipient_code(einvoice: EInvoice, country: str) -> str:
    if country != "IT":
        return FOREIGN_RECIPIENT
    if einvoice.recipient_code:
        return einvoice.recipient_code
    return NO_CODE


def file_name(provider_vat: str, progressive: str) -> str:
    country, code = split_vat(provider_vat, "IT")
    return f"{country}{code}_{progressive}.xml"


def to_base36(number: int, width: int = 5) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while number:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
    return text.rjust(width, "0")


# --- Blocks --------------------------------------------------------------------------------


def sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def build(doc: Document) -> bytes:
    root = etree.Element(
        f"{{{NS}}}FatturaElettronica",
        nsmap={"p": NS, "ds": DS, "xsi": XSI},
        versione=doc.einvoice.format,
    )
    header = sub(root, "FatturaElettronicaHeader")
    transmission_data(header, doc)
    supplier(header, doc)
    customer(header, doc)
    body = sub(root, "FatturaElettronicaBody")
    general_data(body, doc)
    goods_and_services(body, doc)
    payment_data(body, doc)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def transmission_data(header: etree._Element, doc: Document) -> None:
    block = sub(header, "DatiTrasmissione")
    transmitter = sub(block, "IdTrasmittente")
    country, code = split_vat(doc.provider.vat_number, "IT")
    sub(transmitter, "IdPaese", "IT" if doc.settings.transmitter_code else country)
    sub(transmitter, "IdCodice", doc.settings.transmitter_code or code)
    sub(block, "ProgressivoInvio", doc.progressive)
    sub(block, "FormatoTrasmissione", doc.einvoice.format)
    country_of_client = doc.invoice.billing_country or "IT"
    code_for = recipient_code(doc.einvoice, country_of_client)
    sub(block, "CodiceDestinatario", code_for)
    if code_for == NO_CODE and doc.einvoice.recipient_pec:
        sub(block, "PECDestinatario", doc.einvoice.recipient_pec)


def supplier(header: etree._Element, doc: Document) -> None:
    block = sub(header, "CedentePrestatore")
    data = sub(block, "DatiAnagrafici")
    vat = sub(data, "IdFiscaleIVA")
    country, code = split_vat(doc.provider.vat_number, doc.billing.home_country)
    sub(vat, "IdPaese", country)
    sub(vat, "IdCodice", code)
    if doc.settings.fiscal_code:
        sub(data, "CodiceFiscale", doc.settings.fiscal_code)
    registry = sub(data, "Anagrafica")
    sub(registry, "Denominazione", (doc.provider.legal_name or doc.provider.name)[:80])
    sub(data, "RegimeFiscale", doc.settings.regime)
    office = sub(block, "Sede")
    sub(office, "Indirizzo", doc.settings.street[:60])
    sub(office, "CAP", doc.settings.postcode)
    sub(office, "Comune", doc.settings.city[:60])
    if doc.settings.province:
        sub(office, "Provincia", doc.settings.province.upper())
    sub(office, "Nazione", doc.billing.home_country)


def customer(header: etree._Element, doc: Document) -> None:
    invoice, einvoice = doc.invoice, doc.einvoice
    country = invoice.billing_country or "IT"
    block = sub(header, "CessionarioCommittente")
    data = sub(block, "DatiAnagrafici")
    if invoice.billing_vat_number:
        vat = sub(data, "IdFiscaleIVA")
        vat_country, code = split_vat(invoice.billing_vat_number, country)
        sub(vat, "IdPaese", vat_country)
        sub(vat, "IdCodice", code[:28])
    elif country != "IT":
        # A foreign consumer has no Italian identifier: the SdI's convention for one.
        vat = sub(data, "IdFiscaleIVA")
        sub(vat, "IdPaese", country)
        sub(vat, "IdCodice", "99999999999" if country not in EU_COUNTRIES else "0000000")
    if invoice.billing_fiscal_code and country == "IT":
        sub(data, "CodiceFiscale", invoice.billing_fiscal_code.upper())
    registry = sub(data, "Anagrafica")
    person = (
        country == "IT" and not invoice.billing_vat_number
        and len(invoice.billing_fiscal_code) == 16 and " " in invoice.billing_name.strip()
    )  # fmt: skip
    if person:
        first, last = invoice.billing_name.strip().split(" ", 1)
        sub(registry, "Nome", first[:60])
        sub(registry, "Cognome", last[:60])
    else:
        sub(registry, "Denominazione", invoice.billing_name[:80])
    address(sub(block, "Sede"), einvoice, country)


def address(office: etree._Element, einvoice: EInvoice, country: str) -> None:
    postcode = einvoice.postcode.strip()
    street = einvoice.street.strip() or "-"
    if country != "IT" or not (len(postcode) == 5 and postcode.isdigit()):
        # CAP is five digits: a foreign postcode goes with the street.
        street = f"{street} {postcode}".strip() if country != "IT" else street
        postcode = "00000"
    sub(office, "Indirizzo", street[:60])
    sub(office, "CAP", postcode)
    sub(office, "Comune", (einvoice.city.strip() or "-")[:60])
    province = einvoice.province.strip().upper()
    if country == "IT" and len(province) == 2 and province.isalpha():
        sub(office, "Provincia", province)
    sub(office, "Nazione", country)


def general_data(body: etree._Element, doc: Document) -> None:
    invoice = doc.invoice
    block = sub(body, "DatiGenerali")
    document = sub(block, "DatiGeneraliDocumento")
    sub(document, "TipoDocumento", doc.einvoice.document_type)
    sub(document, "Divisa", invoice.currency)
    sub(document, "Data", issue_date(invoice).isoformat())
    sub(document, "Numero", invoice.display_number)
    if stamp_duty_due(invoice, doc.lines):
        stamp = sub(document, "DatiBollo")
        sub(stamp, "BolloVirtuale", "SI")
        sub(stamp, "ImportoBollo", amount(STAMP_DUTY))
    sub(document, "ImportoTotaleDocumento", amount(invoice.total))
    note = nature_of(invoice).wording if invoice.vat_note else ""
    if note:
        sub(document, "Causale", note[:200])
    original = invoice.corrects
    if doc.einvoice.document_type == "TD04" and original is not None:
        linked = sub(block, "DatiFattureCollegate")
        sub(linked, "IdDocumento", original.display_number)
        sub(linked, "Data", issue_date(original).isoformat())


def issue_date(invoice: Invoice) -> date:
    day = invoice.numbered_on or invoice.issued_on
    assert day is not None, "an e-invoice is made of a numbered invoice"
    return day


def goods_and_services(body: etree._Element, doc: Document) -> None:
    block = sub(body, "DatiBeniServizi")
    for number, line in enumerate(doc.lines, start=1):
        detail = sub(block, "DettaglioLinee")
        sub(detail, "NumeroLinea", str(number))
        sub(detail, "Descrizione", line.description[:1000])
        sub(detail, "Quantita", f"{Decimal(line.quantity):.2f}")
        if line.period_start and line.period_end:
            sub(detail, "DataInizioPeriodo", line.period_start.isoformat())
            sub(detail, "DataFinePeriodo", line.period_end.isoformat())
        sub(detail, "PrezzoUnitario", amount(line.unit_price))
        sub(detail, "PrezzoTotale", amount(line.net))
        sub(detail, "AliquotaIVA", rate_text(line.vat_rate))
        if Decimal(line.vat_rate) == 0:
            sub(detail, "Natura", line_nature(doc.invoice, line).code)
    for row in summary_rows(doc.invoice, doc.lines):
        summary = sub(block, "DatiRiepilogo")
        sub(summary, "AliquotaIVA", rate_text(row.rate))
        if row.nature is not None:
            sub(summary, "Natura", row.nature.code)
        sub(summary, "ImponibileImporto", amount(row.net))
        sub(summary, "Imposta", amount(row.vat))
        if row.nature is not None:
            sub(summary, "RiferimentoNormativo", row.nature.wording[:100])
        else:
            sub(summary, "EsigibilitaIVA", "S" if doc.einvoice.split_payment else "I")


@dataclass
class SummaryRow:
    rate: Decimal
    nature: Nature | None  # for the lines without VAT
    net: Decimal
    vat: Decimal


def summary_rows(invoice: Invoice, lines: list[InvoiceLine]) -> list[SummaryRow]:
    """Net and VAT per rate: VAT on the sum of the nets of each rate, rounded half up once
    (the SdI's rule 00421 checks exactly this, within a cent); the lines without VAT one
    row per Natura."""
    from sportello.billing.pricing import vat_breakdown

    rows = [
        SummaryRow(row["rate"], None, row["net"], row["vat"])
        for row in vat_breakdown(line for line in lines if Decimal(line.vat_rate) != 0)
    ]
    free: dict[Nature, Decimal] = {}
    for line in lines:
        if Decimal(line.vat_rate) == 0:
            nature = line_nature(invoice, line)
            free[nature] = free.get(nature, ZERO) + line.net
    rows += [SummaryRow(ZERO, nature, net, ZERO) for nature, net in free.items()]
    return rows


def payment_data(body: etree._Element, doc: Document) -> None:
    invoice = doc.invoice
    if doc.einvoice.document_type == "TD04" or invoice.total <= 0:
        return
    block = sub(body, "DatiPagamento")
    sub(block, "CondizioniPagamento", "TP02")
    detail = sub(block, "DettaglioPagamento")
    methods = set(invoice.payments.values_list("method", flat=True))
    # Split payment: the administration pays the VAT to the Treasury, the provider the net.
    due = invoice.total - invoice.vat_total if doc.einvoice.split_payment else invoice.total
    if Payment.Method.CARD in methods:
        sub(detail, "ModalitaPagamento", "MP08")
        if invoice.due_on:
            sub(detail, "DataScadenzaPagamento", invoice.due_on.isoformat())
        sub(detail, "ImportoPagamento", amount(due))
        return
    sub(detail, "ModalitaPagamento", "MP05")
    if invoice.due_on:
        sub(detail, "DataScadenzaPagamento", invoice.due_on.isoformat())
    sub(detail, "ImportoPagamento", amount(due))
    if doc.billing.bank_name:
        sub(detail, "IstitutoFinanziario", doc.billing.bank_name[:80])
    sub(detail, "IBAN", doc.billing.iban)
    if doc.billing.bic:
        sub(detail, "BIC", doc.billing.bic)
