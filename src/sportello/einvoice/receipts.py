"""The SdI's notices about a file (RC, NS, MC, NE, DT, AT), read from their XML whatever
channel brought them (PEC attachment, intermediary's API, upload by staff)."""

from dataclasses import dataclass, field

from lxml import etree

KINDS = {
    "RicevutaConsegna": "RC",
    "NotificaScarto": "NS",
    "NotificaMancataConsegna": "MC",
    "NotificaEsito": "NE",
    "NotificaDecorrenzaTermini": "DT",
    "AttestazioneTrasmissioneFattura": "AT",
}


class NotAReceipt(ValueError):
    pass


@dataclass
class ParsedReceipt:
    kind: str
    sdi_identifier: str
    invoice_filename: str
    message_id: str
    outcome: str = ""  # NE: EC01 accepted, EC02 refused
    errors: list[dict[str, str]] = field(default_factory=list)


def _find(root: etree._Element, name: str) -> etree._Element | None:
    for element in root.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname == name:
            return element
    return None


def _text(root: etree._Element, name: str) -> str:
    element = _find(root, name)
    return (element.text or "").strip() if element is not None else ""


def parse(xml: bytes) -> ParsedReceipt:
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise NotAReceipt(str(error)) from error
    kind = KINDS.get(etree.QName(root).localname)
    if kind is None or not _text(root, "MessageId"):
        raise NotAReceipt(etree.QName(root).localname)
    errors = []
    for item in root.iter():
        if isinstance(item.tag, str) and etree.QName(item).localname == "Errore":
            errors.append(
                {
                    "code": _text(item, "Codice"),
                    "path": "",
                    "message": " ".join(
                        part
                        for part in (_text(item, "Descrizione"), _text(item, "Suggerimento"))
                        if part
                    ),
                }
            )
    return ParsedReceipt(
        kind=kind,
        sdi_identifier=_text(root, "IdentificativoSdI"),
        invoice_filename=_text(root, "NomeFile"),
        message_id=_text(root, "MessageId"),
        outcome=_text(root, "Esito") if kind == "NE" else "",
        errors=errors,
    )
