"""The SdI's checks that the XSD cannot express (the 00400-00477 errors of the "Specifiche
tecniche" that this product's invoices can run into), run on the built file before it
leaves. Messages are the SdI's own descriptions, as an NS receipt would carry them."""

from decimal import Decimal

from lxml import etree
from stdnum import exceptions as stdnum_errors
from stdnum.it import codicefiscale, iva

from .fatturapa import FOREIGN_RECIPIENT, NO_CODE

Error = dict[str, str]


def _dec(element: etree._Element | None) -> Decimal:
    return Decimal(element.text) if element is not None and element.text else Decimal(0)


def _path(element: etree._Element) -> str:
    return element.getroottree().getpath(element).replace("p:", "")


def _error(code: str, element: etree._Element, message: str) -> Error:
    return {"code": code, "path": _path(element), "message": message}


def check(xml: bytes) -> list[Error]:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    errors: list[Error] = []
    errors += _transmission(root)
    errors += _parties(root)
    for body in root.iterfind("FatturaElettronicaBody"):
        errors += _lines(body)
        errors += _summaries(body)
        errors += _document(body)
    return errors


def _transmission(root: etree._Element) -> list[Error]:
    errors = []
    version = root.get("versione")
    data = root.find("FatturaElettronicaHeader/DatiTrasmissione")
    assert data is not None
    format_ = data.find("FormatoTrasmissione")
    if format_ is not None and format_.text != version:
        errors.append(
            _error("00428", format_, "Attributo VERSIONE non coerente con FormatoTrasmissione")
        )
    code = data.find("CodiceDestinatario")
    assert code is not None
    length = 6 if version == "FPA12" else 7
    if len(code.text or "") != length:
        errors.append(
            _error(
                "00427",
                code,
                "CodiceDestinatario di lunghezza non coerente con FormatoTrasmissione",
            )
        )
    pec = data.find("PECDestinatario")
    if pec is not None and code.text != NO_CODE:
        errors.append(
            _error(
                "00426",
                pec,
                "PECDestinatario valorizzato a fronte di CodiceDestinatario diverso da 0000000",
            )
        )
    nation = root.find("FatturaElettronicaHeader/CessionarioCommittente/Sede/Nazione")
    if nation is not None and (code.text == FOREIGN_RECIPIENT) != (nation.text != "IT"):
        errors.append(
            _error(
                "CHK", code, "CodiceDestinatario XXXXXXX ammesso solo per cessionario non residente"
            )
        )
    return errors


def _parties(root: etree._Element) -> list[Error]:
    errors = []
    header = root.find("FatturaElettronicaHeader")
    assert header is not None
    supplier_vat = header.find("CedentePrestatore/DatiAnagrafici/IdFiscaleIVA")
    if supplier_vat is not None and supplier_vat.findtext("IdPaese") == "IT":
        code = supplier_vat.find("IdCodice")
        assert code is not None
        try:
            iva.validate(code.text or "")
        except stdnum_errors.ValidationError:
            errors.append(_error("00301", code, "IdFiscaleIVA del CedentePrestatore non valido"))
    client = header.find("CessionarioCommittente/DatiAnagrafici")
    assert client is not None
    client_vat = client.find("IdFiscaleIVA")
    client_cf = client.find("CodiceFiscale")
    if header.findtext("CessionarioCommittente/Sede/Nazione") == "IT":
        if client_vat is None and client_cf is None:
            errors.append(
                _error(
                    "00417",
                    client,
                    "IdFiscaleIVA e CodiceFiscale del CessionarioCommittente non valorizzati",
                )
            )
    if client_cf is not None:
        value = client_cf.text or ""
        try:
            iva.validate(value) if len(value) == 11 else codicefiscale.validate(value)
        except stdnum_errors.ValidationError:
            errors.append(
                _error("00305", client_cf, "CodiceFiscale del CessionarioCommittente non valido")
            )
    if (
        supplier_vat is not None and client_vat is not None
        and supplier_vat.findtext("IdPaese") != "IT" and client_vat.findtext("IdPaese") != "IT"
    ):  # fmt: skip
        errors.append(
            _error(
                "00476", client_vat, "IdPaese del cedente e del cessionario entrambi diversi da IT"
            )
        )
    return errors


def _lines(body: etree._Element) -> list[Error]:
    errors = []
    for line in body.iterfind("DatiBeniServizi/DettaglioLinee"):
        rate = _dec(line.find("AliquotaIVA"))
        nature = line.find("Natura")
        rate_element = line.find("AliquotaIVA")
        assert rate_element is not None
        if rate == 0 and nature is None:
            errors.append(
                _error("00400", rate_element, "Natura obbligatoria con AliquotaIVA pari a zero")
            )
        if rate != 0 and nature is not None:
            errors.append(
                _error("00401", nature, "Natura presente con AliquotaIVA diversa da zero")
            )
        if 0 < rate < 1:
            errors.append(_error("00424", rate_element, "AliquotaIVA non espressa in percentuale"))
        if nature is not None and nature.text in {"N2", "N3", "N6"}:
            errors.append(
                _error("00445", nature, "Natura generica non più ammessa: usare il sottocodice")
            )
        quantity = line.find("Quantita")
        total = line.find("PrezzoTotale")
        assert total is not None
        expected = _dec(line.find("PrezzoUnitario")) * (
            _dec(quantity) if quantity is not None else 1
        )
        if abs(expected - _dec(total)) > Decimal("0.01"):
            errors.append(
                _error("00423", total, "PrezzoTotale non calcolato secondo le specifiche")
            )
    return errors


def _summaries(body: etree._Element) -> list[Error]:
    errors = []
    nets: dict[tuple[Decimal, str], Decimal] = {}
    for line in body.iterfind("DatiBeniServizi/DettaglioLinee"):
        key = (_dec(line.find("AliquotaIVA")), line.findtext("Natura") or "")
        nets[key] = nets.get(key, Decimal(0)) + _dec(line.find("PrezzoTotale"))
    seen = set()
    for summary in body.iterfind("DatiBeniServizi/DatiRiepilogo"):
        rate = _dec(summary.find("AliquotaIVA"))
        key = (rate, summary.findtext("Natura") or "")
        seen.add(key)
        taxable = summary.find("ImponibileImporto")
        tax = summary.find("Imposta")
        assert taxable is not None and tax is not None
        if rate == 0 and summary.find("Natura") is None:
            errors.append(
                _error("00429", summary, "Natura obbligatoria in DatiRiepilogo con aliquota zero")
            )
        if rate != 0 and summary.find("Natura") is not None:
            errors.append(
                _error(
                    "00430",
                    summary,
                    "Natura presente in DatiRiepilogo con aliquota diversa da zero",
                )
            )
        expected = (_dec(taxable) * rate / 100).quantize(Decimal("0.01"))
        if abs(expected - _dec(tax)) > Decimal("0.01"):
            errors.append(_error("00421", tax, "Imposta non calcolata secondo le regole definite"))
        if abs(nets.get(key, Decimal(0)) - _dec(taxable)) > Decimal(1):
            errors.append(
                _error("00422", taxable, "ImponibileImporto non calcolato secondo le specifiche")
            )
    for key in nets.keys() - seen:
        errors.append(
            _error(
                "00419", body, f"DatiRiepilogo mancante per AliquotaIVA {key[0]} {key[1]}".strip()
            )
        )
    return errors


def _document(body: etree._Element) -> list[Error]:
    errors = []
    document = body.find("DatiGenerali/DatiGeneraliDocumento")
    assert document is not None
    number = document.find("Numero")
    assert number is not None
    if not any(char.isdigit() for char in number.text or ""):
        errors.append(
            _error("00425", number, "Numero della fattura non contenente caratteri numerici")
        )
    day = document.findtext("Data") or ""
    for linked in body.iterfind("DatiGenerali/DatiFattureCollegate"):
        linked_day = linked.find("Data")
        if linked_day is not None and (linked_day.text or "") > day:
            errors.append(
                _error(
                    "00418",
                    linked_day,
                    "Data della fattura antecedente a quella del documento collegato",
                )
            )
    return errors
