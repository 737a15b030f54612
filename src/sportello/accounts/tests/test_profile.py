import pytest
from django.urls import reverse

from sportello.core.models import AuditEvent

pytestmark = pytest.mark.django_db

BASE = {
    "kind": "person",
    "name": "Olga Owner",
    "company_name": "",
    "fiscal_code": "RSSMRA85T10A562S",
    "vat_number": "",
    "address": "Via Verdi 3",
    "postcode": "20100",
    "city": "Milano",
    "province": "MI",
    "country": "IT",
    "phone": "",
    "language": "it",
}


@pytest.fixture
def logged_in(client, owner):
    client.force_login(owner.owner)
    return client


def post_profile(client, **changes):
    return client.post(reverse("portal:profile"), {**BASE, **changes})


def test_valid_italian_company_is_saved_and_audited(logged_in, owner):
    response = post_profile(
        logged_in,
        kind="company",
        company_name="Olga S.r.l.",
        vat_number="00743110157",
        fiscal_code="00743110157",
        recipient_code="m5uxcr1",
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.vat_number == "IT00743110157"
    assert owner.display_name == "Olga S.r.l."
    assert AuditEvent.objects.filter(client=owner, action="profile_changed").exists()


def test_valid_codice_fiscale_and_spanish_nif(logged_in, owner):
    assert post_profile(logged_in, fiscal_code="rssmra85t10a562s").status_code == 302
    owner.refresh_from_db()
    assert owner.fiscal_code == "RSSMRA85T10A562S"
    assert post_profile(logged_in, country="ES", fiscal_code="12345678Z").status_code == 302


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", "This tax code is not valid (wrong check digit)."),
        ("it", "Questo codice fiscale non è valido (carattere di controllo errato)."),
        ("es", "Este código fiscal no es válido (dígito de control incorrecto)."),
    ],
)
def test_wrong_tax_code_is_refused_in_the_users_language(logged_in, owner, language, expected):
    owner.owner.language = language
    owner.owner.save()
    response = post_profile(logged_in, fiscal_code="RSSMRA85T10A562X", language=language)
    assert response.status_code == 200
    assert expected in response.content.decode()
    owner.refresh_from_db()
    assert owner.fiscal_code == ""


def test_wrong_eu_vat_number_and_missing_partita_iva(logged_in, owner):
    owner.owner.language = "en"
    owner.owner.save()
    response = post_profile(logged_in, country="DE", vat_number="DE1234567", language="en")
    assert "This VAT number is not valid for the chosen country" in response.content.decode()
    response = post_profile(logged_in, kind="company", company_name="X S.r.l.", language="en")
    assert "A company or professional in the European Union needs its VAT number." in (
        response.content.decode()
    )


def test_language_choice_drives_the_interface(logged_in, owner):
    post_profile(logged_in, language="es")
    owner.owner.refresh_from_db()
    assert owner.language == "es"
    response = logged_in.get(reverse("portal:home"))
    assert '<html lang="es">' in response.content.decode()
