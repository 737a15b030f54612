"""VERI*FACTU billing records (RD 1007/2023, Order HAC/1177/2024) with verifactu-sdk: the
record layout of SuministroInformacion.xsd, the SHA-256 fingerprint chained to the previous
record, the QR URL, and the SOAP request to the AEAT's RegFactuSistemaFacturacion."""

import copy
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from lxml import etree
from verifactu_sdk import (
    Cabecera,
    Cadena,
    Entorno,
    IDFactura,
    IDOtro,
    LineaDesglose,
    Persona,
    RegistroAlta,
    RegistroAnterior,
    RegistroAnulacion,
    SistemaInformatico,
    construir_peticion,
    url_qr,
)

from sportello import __name__ as product
from sportello.accounts.fiscal import EU_COUNTRIES
from sportello.billing.models import Invoice
from sportello.billing.pricing import vat_breakdown
from sportello.core.models import Provider

from .fatturapa import split_vat
from .models import EInvoiceSettings, VerifactuChain

MADRID = ZoneInfo("Europe/Madrid")
SYSTEM_ID = "SP"
SYSTEM_VERSION = "1.0"
LEGEND = "VERI*FACTU"


def issuer(provider: Provider) -> Persona:
    return Persona(
        nombre=(provider.legal_name or provider.name)[:120],
        nif=split_vat(provider.vat_number, "ES")[1],
    )


def system(provider: Provider) -> SistemaInformatico:
    return SistemaInformatico(
        nombre_razon=(provider.legal_name or provider.name)[:120],
        nif=split_vat(provider.vat_number, "ES")[1],
        nombre_sistema=product.capitalize(),
        id_sistema=SYSTEM_ID,
        version=SYSTEM_VERSION,
        numero_instalacion=str(provider.pk or 1),
    )


def environment(settings: EInvoiceSettings) -> Entorno:
    if settings.verifactu_environment == EInvoiceSettings.Environment.PRODUCTION:
        return Entorno.PRODUCCION
    return Entorno.PRUEBAS


def recipient(invoice: Invoice) -> Persona | None:
    country = invoice.billing_country or "ES"
    name = invoice.billing_name[:120]
    if country == "ES":
        nif = invoice.billing_fiscal_code or split_vat(invoice.billing_vat_number, "ES")[1]
        return Persona(nombre=name, nif=nif) if nif else None
    if invoice.billing_vat_number:
        id_type = "02" if country in EU_COUNTRIES else "04"
        return Persona(name, id_otro=IDOtro(invoice.billing_vat_number, id_type, country))
    return None


def breakdown(invoice: Invoice, sign: Decimal) -> list[LineaDesglose]:
    rows = []
    for row in vat_breakdown(invoice.lines.all()):
        if row["rate"] > 0:
            rows.append(
                LineaDesglose(
                    base_imponible=sign * row["net"], tipo_impositivo=row["rate"],
                    cuota_repercutida=sign * row["vat"],
                )
            )  # fmt: skip
        else:
            # Services to a business elsewhere, or outside the EU: not subject in Spain
            # by the place-of-supply rules.
            rows.append(LineaDesglose(base_imponible=sign * row["net"], calificacion="N2"))
    return rows


def registration(invoice: Invoice, provider: Provider) -> RegistroAlta:
    credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
    sign = Decimal(-1) if credit_note else Decimal(1)
    person = recipient(invoice)
    first = invoice.lines.first()
    record = RegistroAlta(
        emisor=issuer(provider),
        num_serie=invoice.display_number,
        fecha_expedicion=invoice.numbered_on or invoice.issued_on,  # type: ignore[arg-type]
        descripcion=(first.description if first else invoice.display_number)[:500],
        desglose=breakdown(invoice, sign),
        sistema=system(provider),
        tipo_factura=("R1" if credit_note else "F1") if person else ("R5" if credit_note else "F2"),
        destinatarios=[person] if person else [],
        cuota_total=sign * invoice.vat_total,
        importe_total=sign * invoice.total,
    )
    if credit_note and invoice.corrects is not None:
        original = invoice.corrects
        record.tipo_rectificativa = "I"
        record.facturas_rectificadas = [
            IDFactura(
                record.id_emisor, original.display_number,
                original.numbered_on or original.issued_on,  # type: ignore[arg-type]
            )
        ]  # fmt: skip
    return record


def cancellation(invoice: Invoice, provider: Provider) -> RegistroAnulacion:
    return RegistroAnulacion(
        factura=IDFactura(
            split_vat(provider.vat_number, "ES")[1], invoice.display_number,
            invoice.numbered_on or invoice.issued_on,  # type: ignore[arg-type]
        ),
        sistema=system(provider),
    )  # fmt: skip


def chain(record: RegistroAlta | RegistroAnulacion, head: VerifactuChain, now: datetime) -> str:
    """Chain `record` after the head's record; returns the request XML with it alone."""
    previous = None
    if head.last_hash:
        previous = RegistroAnterior(
            head.last_issuer, head.last_number, head.last_date, head.last_hash
        )
    Cadena(previous).encadenar(record, now.astimezone(MADRID).replace(microsecond=0))
    return request_xml([record], Provider.current())


def request_xml(records: list[RegistroAlta | RegistroAnulacion], provider: Provider) -> str:
    request = construir_peticion(Cabecera(obligado=issuer(provider)), records)
    return etree.tostring(request, encoding="unicode")


def merge_requests(requests: list[str]) -> etree._Element:
    """One RegFactuSistemaFacturacion with the records of several one-record requests."""
    root = etree.fromstring(requests[0].encode())
    for text in requests[1:]:
        other = etree.fromstring(text.encode())
        for element in other:
            if etree.QName(element).localname == "RegistroFactura":
                root.append(copy.deepcopy(element))
    return root


def qr_url(invoice: Invoice, provider: Provider, settings: EInvoiceSettings) -> str:
    sign = -1 if invoice.kind == Invoice.Kind.CREDIT_NOTE else 1
    return url_qr(
        nif=split_vat(provider.vat_number, "ES")[1],
        num_serie=invoice.display_number,
        fecha_expedicion=invoice.numbered_on or invoice.issued_on,  # type: ignore[arg-type]
        importe_total=sign * invoice.total,
        entorno=environment(settings),
    )
