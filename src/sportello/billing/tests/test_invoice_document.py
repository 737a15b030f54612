"""An invoice is a legal document (Art. 21 DPR 633/72): the PDF and the panel page carry
both parties' full addresses, the client's VAT number or tax code, the provider's legal data,
its logo, VAT rates written as percentages, amounts in the language's currency style, a
"how to pay" block, and for each line the service it is for and its period."""

import io
from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image
from pypdfium2 import PdfDocument
from pypdfium2 import raw as pdfium_c

from sportello.billing import actions
from sportello.billing.actions import Line
from sportello.billing.models import BillingSettings
from sportello.billing.pdf import invoice_pdf
from sportello.core.models import Provider
from sportello.testing import make_client, make_product, make_service

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))


def png_logo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), (31, 95, 168)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def letterhead(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    provider = Provider.current()
    provider.legal_name = "Hosting Uno S.r.l."
    provider.address = "Via Roma 1\n20121 Milano (MI)\nItalia"
    provider.vat_number = "IT00743110157"
    provider.save()
    billing = BillingSettings.current()
    billing.company_register = "REA MI-1234567"
    billing.share_capital = D("10000.00")
    billing.logo.save("logo.png", ContentFile(png_logo()), save=False)
    billing.save()
    return billing


CLIENTS = {
    "it": {
        "name": "Mario Rossi", "address": "Via Torino 12", "postcode": "20123", "city": "Milano",
        "province": "MI", "country": "IT", "fiscal_code": "RSSMRA85T10A562S",
    },
    "en": {
        "name": "Jane Smith", "address": "14 Baggot Street Lower", "postcode": "D02 X658",
        "city": "Dublin", "country": "IE", "kind": "company", "company_name": "Smith Design Ltd",
        "vat_number": "IE6388047V",
    },
    "es": {
        "name": "Lucía García", "address": "Calle de Alcalá 120", "postcode": "28009",
        "city": "Madrid", "province": "Madrid", "country": "ES", "fiscal_code": "12345678Z",
    },
}  # fmt: skip

EXPECTED = {
    # language: words of the document, the country as written there, the VAT rate of the line
    "it": (["Fattura", "Cedente / prestatore", "Cessionario / committente", "Codice fiscale",
            "Come pagare", "Periodo:", "Capitale sociale 10.000,00 € i.v."], "Italia", "22%"),
    "en": (["Invoice", "Supplier", "Customer", "VAT number: IE6388047V", "How to pay",
            "Period:", "Share capital €10,000.00 fully paid in"], "Ireland", "0%"),
    "es": (["Factura", "Emisor", "Cliente", "Código fiscal", "Cómo pagar", "Periodo:",
            "Capital social 10.000,00 € desembolsado"], "España", "22 %"),
}  # fmt: skip


def issue(language):
    client = make_client(f"{language}@example.org", language=language, **CLIENTS[language])
    product = make_product("hosting-pro", name="Hosting Pro", price="1234.50")
    service = make_service(client, product, name=f"shop-{language}.example")
    line = Line(
        "Hosting Pro",
        D("1234.50"),
        service=service,
        period_start=date(2026, 4, 1),
        period_end=date(2027, 3, 31),
    )
    return actions.create_invoice(client, [line], NOW, send=False)


def pdf_text(invoice) -> tuple[str, PdfDocument]:
    document = PdfDocument(invoice_pdf(invoice))
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    # Babel separates the currency sign and the Spanish percent sign with no-break spaces.
    return text.replace("\xa0", " ").replace("\u202f", " "), document


@pytest.mark.parametrize("language", ["it", "en", "es"])
def test_the_pdf_carries_what_the_law_asks_in_the_clients_language(letterhead, language):
    invoice = issue(language)
    text, document = pdf_text(invoice)
    words, country, rate = EXPECTED[language]
    for word in words:  # the parties' labels are printed in capitals
        assert word.casefold() in text.casefold(), word
    data = CLIENTS[language]
    # Both parties' full addresses, postcode included.
    assert "Hosting Uno S.r.l." in text and "Via Roma 1" in text and "20121 Milano (MI)" in text
    assert data["address"] in text and data["postcode"] in text and data["city"] in text
    assert country in text
    # The client's fiscal identity; the provider's legal data in the footer.
    assert (data.get("vat_number") or data.get("fiscal_code")) in text
    assert "IT00743110157" in text and "REA MI-1234567" in text
    # The line names its service and its period; the rate is a percentage, not "22,00".
    assert f"shop-{language}.example" in text
    assert rate in text and "22,00" not in text and "22.00" not in text
    amount = {"it": "1.234,50 €", "en": "€1,234.50", "es": "1.234,50 €"}[language]
    assert amount in text
    assert invoice.payment_reference in text
    # The logo is on the first page.
    images = list(document[0].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))
    assert images


def test_a_paid_invoice_has_no_how_to_pay_block(letterhead):
    invoice = issue("it")
    actions.record_payment(invoice.client, invoice.total, date(2026, 3, 12), invoice=invoice)
    invoice.refresh_from_db()
    text, _document = pdf_text(invoice)
    assert "Come pagare" not in text and "Pagata il 12 marzo 2026" in text


def test_without_letterhead_the_footer_prints_what_is_set(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    invoice = issue("it")
    text, document = pdf_text(invoice)
    assert "REA" not in text and "Capitale sociale" not in text
    assert not list(document[0].get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))


def test_the_invoice_page_shows_the_same_legal_data(letterhead, client):
    invoice = issue("it")
    client.force_login(invoice.client.owner)
    page = client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    page = page.replace("\xa0", " ")
    assert 'class="invoice-logo" src="data:image/png;base64,' in page
    for text in ["Cessionario / committente", "Via Torino 12", "20123 Milano (MI)", "Italia",
                 "RSSMRA85T10A562S", "REA MI-1234567", "IT00743110157", "shop-it.example",
                 "1.234,50 €", "22%"]:  # fmt: skip
        assert text in page, text
