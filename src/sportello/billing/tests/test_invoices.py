from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from sportello.billing import actions
from sportello.billing.actions import Line
from sportello.billing.models import BillingSettings, Invoice, Sequence
from sportello.billing.references import rf_reference
from sportello.testing import make_client

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=ROME)


def artifact(name):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[4] / "artifacts"
    folder.mkdir(exist_ok=True)
    return folder / name


def invoice_for(client, *lines, now=NOW, **options):
    return actions.create_invoice(client, list(lines), now, send=False, **options)


def test_italian_client_pays_22_percent_and_20_plus_vat_is_24_40(owner):
    invoice = invoice_for(owner, Line("Riattivazione servizi", D("20.00")))
    assert (invoice.net_total, invoice.vat_total, invoice.total) == (
        D("20.00"),
        D("4.40"),
        D("24.40"),
    )
    assert invoice.display_number == "2026/000001"
    assert invoice.issued_on == date(2026, 3, 10)
    assert invoice.due_on == date(2026, 3, 25)
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.payment_reference == rf_reference(invoice.pk)


def test_vat_is_rounded_once_on_the_sum_of_the_lines_of_each_rate(owner):
    # Rounded per line, 22% of 0.07 is 0.0154 → 0.02, three times 0.06; on the sum of the
    # nets, 22% of 0.21 is 0.0462 → 0.05.
    invoice = invoice_for(owner, *[Line(f"Item {n}", D("0.07")) for n in range(3)])
    assert invoice.net_total == D("0.21")
    assert invoice.vat_total == D("0.05")  # 0.21 × 22% = 0.0462 → 0.05 (half-up)
    assert invoice.total == D("0.26")


def test_half_up_rounding_of_line_amounts(owner):
    invoice = invoice_for(owner, Line("Three thirds", D("0.125"), quantity=D("1")))
    assert invoice.lines.get().net == D("0.13")


def test_multi_rate_invoice_has_one_vat_row_per_rate(owner):
    invoice = invoice_for(
        owner,
        Line("Hosting", D("100.00")),
        Line("Hosting 2", D("50.00")),
        Line("Book", D("10.00"), vat_rate=D("4.00")),
        Line("Stamp duty", D("2.00"), vat_rate=D("0.00")),
    )
    assert invoice.vat_breakdown() == [
        {"rate": D("22.00"), "net": D("150.00"), "vat": D("33.00")},
        {"rate": D("4.00"), "net": D("10.00"), "vat": D("0.40")},
        {"rate": D("0.00"), "net": D("2.00"), "vat": D("0.00")},
    ]
    assert invoice.total == D("195.40")


def test_eu_business_with_vat_number_is_reverse_charged():
    client = make_client(country="DE", kind="company", company_name="Muster GmbH",
                         vat_number="DE136695976")  # fmt: skip
    invoice = invoice_for(client, Line("Hosting", D("100.00")))
    assert invoice.total == D("100.00")
    assert invoice.vat_note == Invoice.VatNote.REVERSE_CHARGE


def test_eu_consumer_pays_the_providers_rate_under_the_threshold_and_their_own_above():
    client = make_client(country="FR")
    assert invoice_for(client, Line("Hosting", D("100.00"))).total == D("122.00")
    BillingSettings.objects.update_or_create(pk=1, defaults={"oss_over_threshold": True})
    assert invoice_for(client, Line("Hosting", D("100.00"))).total == D("120.00")


def test_clients_outside_the_eu_are_out_of_scope():
    invoice = invoice_for(make_client(country="CH"), Line("Hosting", D("100.00")))
    assert invoice.total == D("100.00")
    assert invoice.vat_note == Invoice.VatNote.OUT_OF_SCOPE


def test_numbers_are_gapless_per_year_and_restart_in_january(owner):
    numbers = [invoice_for(owner, Line("x", D("1"))).display_number for _ in range(3)]
    assert numbers == ["2026/000001", "2026/000002", "2026/000003"]
    january = datetime(2027, 1, 2, 9, 0, tzinfo=ROME)
    assert invoice_for(owner, Line("x", D("1")), now=january).display_number == "2027/000001"


def test_a_failed_issue_gives_its_number_back(owner):
    invoice_for(owner, Line("x", D("1")))
    with pytest.raises(ValidationError):
        invoice_for(owner, Line("refund", D("-5")))  # negative total: refused after numbering
    assert invoice_for(owner, Line("x", D("1"))).number == 2
    assert Sequence.objects.get(series="FT", year=2026).last == 2


def test_an_issued_invoice_is_never_issued_again(owner):
    invoice = invoice_for(owner, Line("x", D("1")))
    with pytest.raises(ValidationError):
        actions.issue_invoice(invoice, NOW, send=False)


def test_payment_notice_first_then_fiscal_number_at_payment(owner):
    BillingSettings.objects.update_or_create(pk=1, defaults={"numbering": "at_payment"})
    notice = invoice_for(owner, Line("Hosting", D("100.00")))
    assert notice.number is None and notice.is_payment_notice
    other = invoice_for(owner, Line("Domain", D("10.00")))
    actions.record_payment(owner, D("12.20"), date(2026, 3, 20), invoice=other)
    actions.record_payment(owner, D("122.00"), date(2026, 3, 21), invoice=notice)
    other.refresh_from_db()
    notice.refresh_from_db()
    # Numbered in the order they were paid, dated the day of payment.
    assert (other.display_number, other.numbered_on) == ("2026/000001", date(2026, 3, 20))
    assert (notice.display_number, notice.numbered_on) == ("2026/000002", date(2026, 3, 21))


def test_an_invoice_needs_lines_and_positive_quantities(owner):
    with pytest.raises(ValidationError):
        invoice_for(owner)
    with pytest.raises(ValidationError):
        invoice_for(owner, Line("x", D("1"), quantity=D("0")))


def test_the_client_identity_is_frozen_at_issue(owner):
    owner.name = "Olga Before"
    owner.save()
    invoice = invoice_for(owner, Line("x", D("1")))
    owner.name = "Olga After"
    owner.save()
    invoice.refresh_from_db()
    assert invoice.billing_name == "Olga Before"


def test_invoice_pdf_is_rendered_in_the_clients_language(owner):
    from pypdfium2 import PdfDocument

    from sportello.billing.pdf import invoice_pdf

    owner.owner.language = "es"
    owner.owner.save()
    invoice = invoice_for(owner, Line("Hosting Pro", D("99.00")))
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF")
    page = PdfDocument(pdf)[0]
    text = page.get_textpage().get_text_range()
    page.render(scale=1.5).to_pil().save(artifact("invoice-es-page1.png"))
    assert "2026/000001" in text and "Hosting Pro" in text
    assert "Factura" in text and "120,78" in text
    assert BillingSettings.current().iban_display in text
    assert invoice.payment_reference in text.replace(" ", "")


def test_provider_iban_and_bic_are_validated():
    billing = BillingSettings.current()
    billing.iban = "it60 x054 2811 1010 0000 0123 456"
    billing.clean()
    assert billing.iban == "IT60X0542811101000000123456"
    assert billing.iban_display == "IT60 X054 2811 1010 0000 0123 456"
    billing.iban = "IT61X0542811101000000123456"
    with pytest.raises(ValidationError) as error:
        billing.clean()
    assert "iban" in error.value.message_dict
