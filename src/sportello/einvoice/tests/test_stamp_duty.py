"""The €2 virtual stamp duty on invoices whose amounts without VAT exceed €77.47: always
declared in the file (DatiBollo); where the provider recharges it, a line of its own on
the invoice, out of the VAT base with Natura N1, whatever the Natura of the other lines."""

from decimal import Decimal as D

import pytest

from sportello.billing import actions as billing
from sportello.billing.actions import Line
from sportello.billing.models import Invoice, InvoiceLine
from sportello.einvoice.fatturapa import STAMP_DUTY_LINE
from sportello.einvoice.models import EInvoice, EInvoiceSettings
from sportello.testing import make_client

from .test_fatturapa import ITALIAN_COMPANY, NOW, assert_valid, built, read_back, tree

pytestmark = pytest.mark.django_db
US_CLIENT = {"name": "Jane Smith", "address": "1 Main St", "postcode": "10001",
             "city": "New York", "country": "US"}  # fmt: skip


@pytest.fixture
def recharged(italian_provider):
    settings = EInvoiceSettings.current()
    settings.stamp_duty_recharged = True
    settings.save()


def stamp_lines(invoice):
    return list(InvoiceLine.objects.filter(invoice=invoice, description=STAMP_DUTY_LINE))


def summaries(einvoice):
    return {
        row.findtext("Natura"): (row.findtext("ImponibileImporto"), row.findtext("Imposta"))
        for row in tree(einvoice).iterfind(".//DatiRiepilogo")
    }


def test_recharged_stamp_duty_is_a_line_outside_vat_with_natura_n1(recharged):
    client = make_client(**US_CLIENT)
    invoice = billing.create_invoice(client, [Line("Hosting for a year", D("120.00"))], NOW,
                                     send=False)  # fmt: skip
    [line] = stamp_lines(invoice)
    assert (line.net, line.vat_rate, line.position) == (D("2.00"), D(0), 2)
    assert (invoice.net_total, invoice.vat_total, invoice.total) == (D("122.00"), 0, D("122.00"))
    einvoice = built(invoice)
    assert_valid(einvoice)
    root = tree(einvoice)
    natures = [detail.findtext("Natura") for detail in root.iterfind(".//DettaglioLinee")]
    assert natures == ["N2.1", "N1"]
    assert summaries(einvoice) == {"N2.1": ("120.00", "0.00"), "N1": ("2.00", "0.00")}
    references = [row.findtext("RiferimentoNormativo") for row in root.iterfind(".//DatiRiepilogo")]
    assert "Escluse ex art. 15 DPR 633/72" in references
    assert root.findtext(".//DatiBollo/BolloVirtuale") == "SI"
    assert root.findtext(".//DatiBollo/ImportoBollo") == "2.00"
    assert root.findtext(".//ImportoTotaleDocumento") == "122.00"
    assert root.findtext(".//ImportoPagamento") == "122.00"
    assert len(read_back(einvoice).linee) == 2


def test_not_recharged_the_duty_is_declared_but_not_billed(italian_provider):
    client = make_client(**US_CLIENT)
    invoice = billing.create_invoice(client, [Line("Hosting for a year", D("120.00"))], NOW,
                                     send=False)  # fmt: skip
    assert stamp_lines(invoice) == [] and invoice.total == D("120.00")
    einvoice = built(invoice)
    assert_valid(einvoice)
    root = tree(einvoice)
    assert root.findtext(".//DatiBollo/ImportoBollo") == "2.00"
    assert [detail.findtext("Natura") for detail in root.iterfind(".//DettaglioLinee")] == ["N2.1"]
    assert root.findtext(".//ImportoTotaleDocumento") == "120.00"


def test_no_line_at_or_under_the_threshold_nor_on_invoices_with_vat(recharged):
    at_threshold = billing.create_invoice(make_client(**US_CLIENT), [Line("Domain", D("77.47"))],
                                          NOW, send=False)  # fmt: skip
    with_vat = billing.create_invoice(make_client(**ITALIAN_COMPANY), [Line("VPS", D("500.00"))],
                                      NOW, send=False)  # fmt: skip
    assert stamp_lines(at_threshold) == [] and stamp_lines(with_vat) == []
    assert tree(built(at_threshold)).find(".//DatiBollo") is None
    assert tree(built(with_vat)).find(".//DatiBollo") is None


def test_invoices_drafted_in_a_batch_carry_it_too(recharged):
    clients = [make_client(**US_CLIENT), make_client(**ITALIAN_COMPANY)]
    invoices = billing.create_invoices(
        [(client, [Line("Renewal", D("100.00"))]) for client in clients], NOW
    )
    assert [len(stamp_lines(invoice)) for invoice in invoices] == [1, 0]
    assert invoices[0].total == D("102.00")
    assert_valid(built(invoices[0]))


def test_a_credit_note_gives_the_duty_back_and_a_correction_bills_it_once(recharged):
    client = make_client(**US_CLIENT)
    invoice = billing.create_invoice(client, [Line("Dedicated server", D("300.00"))], NOW,
                                     send=False)  # fmt: skip
    note = billing.issue_credit_note(invoice, NOW, reason="Errore")
    einvoice = built(note)
    assert_valid(einvoice)
    assert summaries(einvoice) == {"N2.1": ("300.00", "0.00"), "N1": ("2.00", "0.00")}
    # The lines of an invoice billed again already hold the duty: it is not added twice.
    again = billing.create_invoice(
        client, [Line(line.description, line.unit_price, vat_rate=line.vat_rate)
                 for line in invoice.lines.all()], NOW, send=False,
    )  # fmt: skip
    assert len(stamp_lines(again)) == 1 and again.total == D("302.00")


def test_advance_payments_never_carry_it(recharged):
    client = make_client(**US_CLIENT)
    billing.add_funds(client, D("500.00"), NOW)
    funds = Invoice.objects.get(client=client, purpose=Invoice.Purpose.FUNDS)
    assert stamp_lines(funds) == []
    assert not EInvoice.objects.filter(invoice=funds).exists()
