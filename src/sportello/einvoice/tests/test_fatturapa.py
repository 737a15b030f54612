"""Golden cases: each file validated against the official XSD, checked by the SdI rules and
read back by an independent parser (the `fatturapa` package)."""

from datetime import datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import fatturapa as reader
import pytest
from lxml import etree

from sportello.billing import actions as billing
from sportello.billing.actions import Line
from sportello.billing.models import Invoice
from sportello.einvoice import actions, sdi_rules
from sportello.einvoice.fatturapa import to_base36
from sportello.einvoice.models import EInvoice, RecipientProfile
from sportello.einvoice.schemas import xsd_errors
from sportello.testing import make_client

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))
ITALIAN_PERSON = {
    "name": "Mario Rossi", "fiscal_code": "RSSMRA80A01H501U", "address": "Via Verdi 3",
    "postcode": "00184", "city": "Roma", "province": "RM", "country": "IT",
}  # fmt: skip
ITALIAN_COMPANY = {
    "kind": "company", "name": "Anna Bianchi", "company_name": "Ferramenta Bianchi S.r.l.",
    "vat_number": "IT12345670017", "address": "Corso Como 5", "postcode": "20154",
    "city": "Milano", "province": "MI", "country": "IT",
}  # fmt: skip


def issue(client, *lines, **options):
    invoice = billing.create_invoice(client, list(lines), NOW, send=False, **options)
    return built(invoice)


def built(invoice):
    einvoice = EInvoice.objects.get(invoice=invoice)
    return actions.build(einvoice)


def tree(einvoice):
    return etree.fromstring(einvoice.xml.encode())


def read_back(einvoice):
    documents = list(reader.parse(einvoice.xml.encode()))
    assert len(documents) == 1
    return documents[0]


def text(einvoice, path):
    return tree(einvoice).findtext(path)


def assert_valid(einvoice):
    assert einvoice.errors == [], einvoice.errors
    assert einvoice.status == EInvoice.Status.TO_SEND
    assert xsd_errors(einvoice.xml.encode()) == []
    assert sdi_rules.check(einvoice.xml.encode()) == []


def test_italian_consumer(italian_provider):
    client = make_client(**ITALIAN_PERSON)
    einvoice = issue(client, Line("Hosting Start 2026", D("49.00")))
    assert_valid(einvoice)
    assert text(einvoice, ".//CodiceDestinatario") == "0000000"
    assert text(einvoice, ".//CessionarioCommittente//CodiceFiscale") == "RSSMRA80A01H501U"
    assert text(einvoice, ".//CessionarioCommittente//Cognome") == "Rossi"
    assert text(einvoice, ".//ModalitaPagamento") == "MP05"
    assert text(einvoice, ".//IBAN")
    document = read_back(einvoice)
    assert document.numero == einvoice.invoice.display_number
    assert einvoice.filename == f"IT01234560017_{to_base36(1)}.xml"


def test_italian_company_with_recipient_code(italian_provider):
    client = make_client(**ITALIAN_COMPANY)
    RecipientProfile.objects.create(client=client, recipient_code="M5UXCR1")
    einvoice = issue(client, Line("VPS", D("100.00")))
    assert_valid(einvoice)
    assert text(einvoice, ".//CodiceDestinatario") == "M5UXCR1"
    assert tree(einvoice).find(".//PECDestinatario") is None
    assert text(einvoice, ".//CessionarioCommittente//IdCodice") == "12345670017"
    assert text(einvoice, ".//ImportoTotaleDocumento") == "122.00"


def test_italian_company_with_pec_only(italian_provider):
    client = make_client(**ITALIAN_COMPANY)
    RecipientProfile.objects.create(client=client, pec="fatture@pec.bianchi.example")
    einvoice = issue(client, Line("VPS", D("100.00")))
    assert_valid(einvoice)
    assert text(einvoice, ".//CodiceDestinatario") == "0000000"
    assert text(einvoice, ".//PECDestinatario") == "fatture@pec.bianchi.example"


def test_recipient_data_are_frozen_when_the_invoice_is_numbered(italian_provider):
    client = make_client(**ITALIAN_COMPANY)
    invoice = billing.create_invoice(client, [Line("VPS", D("100.00"))], NOW, send=False)
    RecipientProfile.objects.create(client=client, recipient_code="ZZZZZZZ")
    client.city = "Torino"
    client.save()
    einvoice = built(invoice)
    assert text(einvoice, ".//CodiceDestinatario") == "0000000"
    assert text(einvoice, ".//CessionarioCommittente/Sede/Comune") == "Milano"


def test_public_administration_with_split_payment(italian_provider):
    client = make_client(**{**ITALIAN_COMPANY, "company_name": "Comune di Esempio"})
    RecipientProfile.objects.create(
        client=client, recipient_code="UFABCD", public_administration=True, split_payment=True
    )
    einvoice = issue(client, Line("Hosting PEC", D("200.00")))
    assert_valid(einvoice)
    assert tree(einvoice).get("versione") == "FPA12"
    assert text(einvoice, ".//CodiceDestinatario") == "UFABCD"
    assert text(einvoice, ".//EsigibilitaIVA") == "S"
    # The administration pays the provider the net; the VAT goes to the Treasury.
    assert text(einvoice, ".//ImportoPagamento") == "200.00"
    assert text(einvoice, ".//ImportoTotaleDocumento") == "244.00"


def test_eu_business_is_outside_italian_vat_with_its_nature_and_wording(italian_provider):
    client = make_client(
        kind="company", name="Hans", company_name="Beispiel GmbH", vat_number="DE136695976",
        address="Hauptstr. 1", postcode="10115", city="Berlin", country="DE",
    )  # fmt: skip
    einvoice = issue(client, Line("Dedicated server", D("50.00")))
    assert_valid(einvoice)
    root = tree(einvoice)
    assert root.findtext(".//CodiceDestinatario") == "XXXXXXX"
    assert root.findtext(".//DettaglioLinee/Natura") == "N2.1"
    assert root.findtext(".//DatiRiepilogo/Natura") == "N2.1"
    assert "7-ter" in root.findtext(".//RiferimentoNormativo")
    assert root.findtext(".//CessionarioCommittente//IdPaese") == "DE"
    assert root.findtext(".//CessionarioCommittente/Sede/CAP") == "00000"
    assert root.find(".//DatiBollo") is None  # 50.00 is under the threshold


def test_non_eu_client_over_77_47_carries_the_stamp_duty(italian_provider):
    client = make_client(
        name="Jane Smith", address="1 Main St", postcode="10001", city="New York", country="US"
    )
    einvoice = issue(client, Line("Hosting for a year", D("120.00")))
    assert_valid(einvoice)
    root = tree(einvoice)
    assert root.findtext(".//CodiceDestinatario") == "XXXXXXX"
    assert root.findtext(".//DatiBollo/BolloVirtuale") == "SI"
    assert root.findtext(".//DatiBollo/ImportoBollo") == "2.00"
    assert root.findtext(".//CessionarioCommittente//IdCodice") == "99999999999"


def test_stamp_duty_only_over_the_threshold(italian_provider):
    client = make_client(name="Jane Smith", city="New York", country="US")
    einvoice = issue(client, Line("Domain", D("77.47")))
    assert_valid(einvoice)
    assert tree(einvoice).find(".//DatiBollo") is None


def test_credit_note_is_td04_linked_to_the_invoice(italian_provider):
    client = make_client(**ITALIAN_COMPANY)
    invoice = billing.create_invoice(client, [Line("VPS", D("100.00"))], NOW, send=False)
    note = billing.issue_credit_note(invoice, NOW, reason="Errore")
    einvoice = built(note)
    assert_valid(einvoice)
    root = tree(einvoice)
    assert root.findtext(".//TipoDocumento") == "TD04"
    assert root.findtext(".//DatiFattureCollegate/IdDocumento") == invoice.display_number
    assert root.find(".//DatiPagamento") is None
    assert read_back(einvoice).tipo_documento_codice == "TD04"


def test_multi_rate_rounds_vat_once_per_rate(italian_provider):
    client = make_client(**ITALIAN_COMPANY)
    lines = [
        Line("A", D("0.35"), D(3), vat_rate=D("22")),
        Line("B", D("0.35"), D(3), vat_rate=D("22")),
        Line("C", D("10.05"), vat_rate=D("10")),
        Line("D", D("3.33"), vat_rate=D("4")),
    ]
    einvoice = issue(client, *lines)
    assert_valid(einvoice)
    rows = {
        row.findtext("AliquotaIVA"): (row.findtext("ImponibileImporto"), row.findtext("Imposta"))
        for row in tree(einvoice).iterfind(".//DatiRiepilogo")
    }
    # 2.10 at 22% is 0.462 → 0.46 once (per line it would be 0.23 + 0.23).
    assert rows == {
        "22.00": ("2.10", "0.46"), "10.00": ("10.05", "1.01"), "4.00": ("3.33", "0.13"),
    }  # fmt: skip
    total = sum(D(value) for pair in rows.values() for value in pair)
    assert text(einvoice, ".//ImportoTotaleDocumento") == f"{total:.2f}"


def test_foreign_currency_invoice(italian_provider):
    client = make_client(**ITALIAN_COMPANY)
    invoice = billing.create_invoice(client, [Line("VPS", D("100.00"))], NOW, send=False)
    Invoice.objects.filter(pk=invoice.pk).update(currency="USD")
    einvoice = built(invoice)
    assert_valid(einvoice)
    assert text(einvoice, ".//Divisa") == "USD"


def test_card_payment_is_mp08(italian_provider):
    client = make_client(**ITALIAN_COMPANY)
    invoice = billing.create_invoice(client, [Line("VPS", D("100.00"))], NOW, send=False)
    billing.record_payment(client, D("122.00"), NOW.date(), invoice=invoice, method="card")
    einvoice = built(invoice)
    assert text(einvoice, ".//ModalitaPagamento") == "MP08"


def test_file_progressive_never_repeats(italian_provider):
    client = make_client(**ITALIAN_COMPANY)
    first = issue(client, Line("A", D("10.00")))
    second = issue(client, Line("B", D("10.00")))
    rebuilt = actions.build(first)
    names = {first.filename, second.filename, rebuilt.filename}
    assert len(names) == 3


def test_rules_the_xsd_cannot_express(italian_provider):
    client = make_client(**ITALIAN_COMPANY)
    einvoice = issue(client, Line("VPS", D("100.00")))
    root = tree(einvoice)
    root.find(".//DatiRiepilogo/Imposta").text = "21.00"
    root.find(".//DettaglioLinee/AliquotaIVA").text = "0.00"
    root.find(".//CodiceDestinatario").text = "ABC1234"
    etree.SubElement(root.find(".//DatiTrasmissione"), "PECDestinatario").text = "x@pec.it"
    xml = etree.tostring(root)
    codes = {error["code"] for error in sdi_rules.check(xml)}
    assert {"00400", "00421", "00426", "00422"} <= codes


def test_invalid_file_is_kept_back_with_path_addressed_errors(italian_provider):
    client = make_client(**ITALIAN_COMPANY)
    invoice = billing.create_invoice(client, [Line("VPS", D("100.00"))], NOW, send=False)
    EInvoice.objects.filter(invoice=invoice).update(postcode="2015")  # not five digits
    einvoice = built(invoice)
    assert einvoice.status == EInvoice.Status.TO_SEND  # a bad CAP is replaced, never sent
    Invoice.objects.filter(pk=invoice.pk).update(billing_name="")
    einvoice = actions.build(einvoice)
    assert einvoice.status == EInvoice.Status.INVALID
    assert any("Denominazione" in error["path"] for error in einvoice.errors)


def test_payment_notices_get_an_einvoice_when_they_get_their_number(italian_provider):
    from sportello.billing.models import BillingSettings

    settings = BillingSettings.current()
    settings.numbering = BillingSettings.Numbering.AT_PAYMENT
    settings.save()
    client = make_client(**ITALIAN_COMPANY)
    notice = billing.create_invoice(client, [Line("VPS", D("100.00"))], NOW, send=False)
    assert not EInvoice.objects.filter(invoice=notice).exists()
    billing.record_payment(client, D("122.00"), NOW.date(), invoice=notice)
    assert EInvoice.objects.filter(invoice=notice).exists()


def test_renewals_issued_in_a_batch_get_their_einvoices(italian_provider):
    clients = [make_client(**ITALIAN_COMPANY) for _ in range(3)]
    invoices = billing.create_invoices([(c, [Line("Renewal", D("10.00"))]) for c in clients], NOW)
    assert EInvoice.objects.filter(invoice__in=invoices).count() == 3
