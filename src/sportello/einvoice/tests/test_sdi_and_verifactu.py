"""Sending to the SdI through the intermediary's API (a local stand-in speaking HTTP),
receipts in every outcome applied twice, the correction of a rejected invoice, the export,
and VERI*FACTU records: the chain, verifactu-lint's check, the AEAT stand-in."""

import base64
import io
import json
import threading
import zipfile
from datetime import datetime
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from sportello.billing import actions as billing
from sportello.billing.actions import Line
from sportello.billing.models import Invoice
from sportello.einvoice import actions, jobs
from sportello.einvoice.models import (
    EInvoice,
    EInvoiceSettings,
    RecipientProfile,
    VerifactuRecord,
)
from sportello.testing import make_client

from .test_fatturapa import ITALIAN_COMPANY

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))
MSG = "http://www.fatturapa.gov.it/sdi/messaggi/v1.0"


def receipt(kind, filename, message_id, *, outcome="", errors=()):
    root = {
        "RC": "RicevutaConsegna", "NS": "NotificaScarto", "MC": "NotificaMancataConsegna",
        "NE": "NotificaEsito", "DT": "NotificaDecorrenzaTermini",
    }[kind]  # fmt: skip
    listed = "".join(
        f"<Errore><Codice>{code}</Codice><Descrizione>{text}</Descrizione></Errore>"
        for code, text in errors
    )
    extra = f"<ListaErrori>{listed}</ListaErrori>" if errors else ""
    if outcome:
        extra += f"<EsitoCommittente><Esito>{outcome}</Esito></EsitoCommittente>"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ns2:{root} xmlns:ns2="{MSG}" versione="1.0">'
        f"<IdentificativoSdI>111</IdentificativoSdI><NomeFile>{filename}</NomeFile>"
        f"<DataOraRicezione>2026-03-10T12:00:00</DataOraRicezione>{extra}"
        f"<MessageId>{message_id}</MessageId></ns2:{root}>"
    ).encode()


class Stand_in(BaseHTTPRequestHandler):
    """Aruba's API and the AEAT's SOAP service, as far as Sportello uses them."""

    uploads: list = []
    notices: dict = {}
    soap: list = []

    def log_message(self, *args):
        pass

    def _answer(self, body: bytes, content_type="application/json"):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        data = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path == "/auth/signin":
            assert b"grant_type=password" in data
            return self._answer(json.dumps({"access_token": "T", "expires_in": 1800}).encode())
        if self.path == "/services/invoice/upload":
            assert self.headers["Authorization"] == "Bearer T"
            xml = base64.b64decode(json.loads(data)["dataFile"])
            name = f"IT01879020517_{len(self.uploads) + 1:05d}.xml"
            self.uploads.append((name, xml))
            body = {"errorCode": "0000", "errorDescription": None, "uploadFileName": name}
            return self._answer(json.dumps(body).encode())
        if self.path == "/verifactu":
            self.soap.append(data)
            from lxml import etree

            numbers = [
                element.text
                for element in etree.fromstring(data).iter()
                if isinstance(element.tag, str) and element.tag.endswith("NumSerieFactura")
            ]
            lines = "".join(
                f"<tikR:RespuestaLinea><tikR:IDFactura><tik:IDEmisorFactura>B12345674"
                f"</tik:IDEmisorFactura><tik:NumSerieFactura>{number}</tik:NumSerieFactura>"
                f"<tik:FechaExpedicionFactura>10-03-2026</tik:FechaExpedicionFactura>"
                f"</tikR:IDFactura><tikR:Operacion><tik:TipoOperacion>Alta</tik:TipoOperacion>"
                f"</tikR:Operacion><tikR:EstadoRegistro>Correcto</tikR:EstadoRegistro>"
                f"</tikR:RespuestaLinea>"
                for number in numbers
            )
            body = (
                '<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"><env:Body>'
                '<tikR:RespuestaRegFactuSistemaFacturacion xmlns:tikR="R" xmlns:tik="T">'
                "<tikR:CSV>A-ABC123</tikR:CSV><tikR:TiempoEsperaEnvio>60</tikR:TiempoEsperaEnvio>"
                f"<tikR:EstadoEnvio>Correcto</tikR:EstadoEnvio>{lines}"
                "</tikR:RespuestaRegFactuSistemaFacturacion></env:Body></env:Envelope>"
            ).encode()
            return self._answer(body, "text/xml")
        self.send_error(404)

    def do_GET(self):
        if self.path.startswith("/services/notification/out/getByInvoiceFilename"):
            name = self.path.split("invoiceFilename=")[1]
            items = [
                {"filename": f"{name}_{i}", "file": base64.b64encode(xml).decode()}
                for i, xml in enumerate(self.notices.get(name, []))
            ]
            return self._answer(json.dumps(items).encode())
        self.send_error(404)


@pytest.fixture
def stand_in():
    Stand_in.uploads, Stand_in.notices, Stand_in.soap = [], {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stand_in)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def via_intermediary(italian_provider, stand_in):
    settings = EInvoiceSettings.current()
    settings.channel = EInvoiceSettings.Channel.INTERMEDIARY
    settings.intermediary_auth_url = settings.intermediary_api_url = stand_in
    settings.intermediary_username = "sportello"
    settings.save()
    return stand_in


def company_invoice():
    client = make_client(**ITALIAN_COMPANY)
    RecipientProfile.objects.create(client=client, recipient_code="M5UXCR1")
    return billing.create_invoice(client, [Line("VPS", D("100.00"))], NOW, send=False)


def test_the_job_builds_sends_and_reads_receipts_and_running_twice_sends_nothing_twice(
    via_intermediary,
):
    invoice = company_invoice()
    assert jobs.send_einvoices(NOW)["sent"] == 1
    assert jobs.send_einvoices(NOW)["sent"] == 0
    assert len(Stand_in.uploads) == 1
    remote, xml = Stand_in.uploads[0]
    einvoice = EInvoice.objects.get(invoice=invoice)
    assert einvoice.status == EInvoice.Status.SENT and xml.decode() == einvoice.xml
    Stand_in.notices[remote] = [receipt("RC", remote, "501")]
    assert jobs.send_einvoices(NOW)["receipts"] == 1
    assert jobs.send_einvoices(NOW)["receipts"] == 0
    einvoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.DELIVERED
    assert einvoice.receipts.count() == 1


@pytest.mark.parametrize(
    "kind, outcome, state",
    [
        ("RC", "", EInvoice.Status.DELIVERED),
        ("MC", "", EInvoice.Status.NOT_DELIVERED),
        ("NS", "", EInvoice.Status.REJECTED),
        ("NE", "EC01", EInvoice.Status.ACCEPTED),
        ("NE", "EC02", EInvoice.Status.REFUSED),
        ("DT", "", EInvoice.Status.EXPIRED),
    ],
)
def test_each_outcome_applied_twice_gives_the_same_state(via_intermediary, kind, outcome, state):
    invoice = company_invoice()
    jobs.send_einvoices(NOW)
    einvoice = EInvoice.objects.get(invoice=invoice)
    notice = receipt(kind, einvoice.filename, "77", outcome=outcome, errors=[("00305", "CF")])
    first = actions.apply_receipt(notice, NOW)
    second = actions.apply_receipt(notice, NOW)
    einvoice.refresh_from_db()
    assert (first.new, second.new) == (True, False)
    assert einvoice.status == state
    assert einvoice.receipts.count() == 1


def test_a_delivery_receipt_after_the_outcome_does_not_undo_it(via_intermediary):
    invoice = company_invoice()
    jobs.send_einvoices(NOW)
    einvoice = EInvoice.objects.get(invoice=invoice)
    actions.apply_receipt(receipt("NE", einvoice.filename, "2", outcome="EC01"), NOW)
    actions.apply_receipt(receipt("RC", einvoice.filename, "1"), NOW)
    einvoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.ACCEPTED


def test_rejected_invoice_is_resent_under_a_new_name_or_corrected_by_a_new_invoice(
    via_intermediary,
):
    invoice = company_invoice()
    jobs.send_einvoices(NOW)
    einvoice = EInvoice.objects.get(invoice=invoice)
    rejected = einvoice.filename
    actions.apply_receipt(
        receipt("NS", rejected, "9", errors=[("00311", "CodiceDestinatario non valido")]), NOW
    )
    einvoice.refresh_from_db()
    assert einvoice.errors[0]["code"] == "00311"
    RecipientProfile.objects.filter(client=invoice.client).update(recipient_code="KRRH6B9")
    einvoice = actions.resend(einvoice, NOW)
    assert einvoice.filename != rejected and einvoice.status == EInvoice.Status.TO_SEND
    assert einvoice.recipient_code == "KRRH6B9"
    jobs.send_einvoices(NOW)
    einvoice.refresh_from_db()
    actions.apply_receipt(receipt("NS", einvoice.filename, "10"), NOW)
    new = actions.correct_rejected(EInvoice.objects.get(pk=einvoice.pk), NOW)
    einvoice.refresh_from_db()
    invoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.CORRECTED and einvoice.corrected_by == new
    assert new.number != invoice.number and new.total == invoice.total
    assert invoice.status == Invoice.Status.CREDITED  # kept, cancelled internally
    note = invoice.credit_notes.get()
    assert EInvoice.objects.get(invoice=note).status == EInvoice.Status.INTERNAL
    assert EInvoice.objects.get(invoice=new).status == EInvoice.Status.NEW


def test_export_for_the_accountant(italian_provider):
    invoice = company_invoice()
    einvoice = actions.build(EInvoice.objects.get(invoice=invoice))
    data = actions.export([einvoice], NOW)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert set(archive.namelist()) == {einvoice.filename, "index.csv"}
        assert invoice.display_number in archive.read("index.csv").decode()
    einvoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.EXPORTED


# --- VERI*FACTU ---------------------------------------------------------------------------


def spanish_invoices(count):
    client = make_client(
        kind="company", name="Lucía", company_name="Cliente S.A.", vat_number="ESA58818501",
        fiscal_code="A58818501", country="ES", city="Madrid",
    )  # fmt: skip
    return [
        billing.create_invoice(client, [Line(f"Hosting {i}", D("10.00"))], NOW, send=False)
        for i in range(count)
    ]


def test_records_are_chained_and_pass_verifactu_lint(spanish_provider, tmp_path):
    from verifactu_lint.registros import lee
    from verifactu_lint.reglas import audita

    invoices = spanish_invoices(3)
    note = billing.issue_credit_note(invoices[0], NOW, reason="Error")
    actions.record_cancellation(invoices[1], NOW)
    records = list(VerifactuRecord.objects.order_by("position"))
    assert [r.position for r in records] == [1, 2, 3, 4, 5]
    assert records[0].previous_hash == ""
    for before, after in zip(records, records[1:], strict=False):
        assert after.previous_hash == before.hash
    assert actions.chain_breaks() == []
    assert records[3].invoice == note and records[3].invoice_type == "R1"
    assert records[3].total == D("-12.10")
    assert "ValidarQR?nif=B12345674" in records[0].qr_url
    path = tmp_path / "records.xml"
    path.write_bytes(
        __import__("lxml.etree", fromlist=["tostring"]).tostring(
            actions.verifactu.merge_requests([r.xml for r in records])
        )
    )
    report = audita(lee(path))
    assert report.registros_analizados == 5
    assert report.errores == [], [finding.linea() for finding in report.errores]
    VerifactuRecord.objects.filter(position=3).update(previous_hash="0" * 64)
    assert actions.chain_breaks() == [3]


def test_a_record_per_invoice_even_if_asked_twice(spanish_provider):
    (invoice,) = spanish_invoices(1)
    assert actions.record_registration(invoice, NOW) is None
    assert VerifactuRecord.objects.filter(invoice=invoice).count() == 1


def test_records_are_sent_to_the_aeat_stand_in_once(spanish_provider, stand_in):
    settings = EInvoiceSettings.current()
    settings.verifactu_url = f"{stand_in}/verifactu"
    settings.save()
    spanish_invoices(2)
    assert jobs.send_verifactu_records(NOW) == {"sent": 2, "accepted": 2, "rejected": 0}
    assert jobs.send_verifactu_records(NOW) == {"sent": 0}
    assert len(Stand_in.soap) == 1
    assert set(VerifactuRecord.objects.values_list("status", "csv")) == {("accepted", "A-ABC123")}


def test_the_pdf_carries_the_qr_code_and_the_legend(spanish_provider):
    from sportello.billing.blocks import invoice_blocks

    (invoice,) = spanish_invoices(1)
    html = invoice_blocks(invoice, "pdf")
    assert "VERI*FACTU" in html and "data:image/svg+xml;base64," in html
