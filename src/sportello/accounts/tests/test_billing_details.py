"""What invoicing needs, asked by client type at sign-up and on the profile; the terms and
the privacy notice accepted with their version; allauth's notices and titles."""

import pytest
from django.forms import Form
from django.urls import reverse

from sportello.accounts.forms import check_billing_details
from sportello.accounts.models import Client, Consent, User
from sportello.core.models import AuditEvent
from sportello.einvoice.models import RecipientProfile
from sportello.testing import PASSWORD

pytestmark = pytest.mark.django_db

PERSON = {
    "kind": "person",
    "name": "Giulia Neri",
    "email": "giulia@example.org",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "language": "it",
    "country": "IT",
    "fiscal_code": "RSSMRA85T10A562S",
    "address": "Via Roma 1",
    "postcode": "00184",
    "city": "Roma",
    "province": "RM",
    "accept_terms": "on",
    "accept_privacy": "on",
}
COMPANY = {
    **PERSON,
    "kind": "company",
    "email": "amministrazione@bianchi.example",
    "company_name": "Ferramenta Bianchi S.r.l.",
    "fiscal_code": "",
    "vat_number": "00743110157",
    "recipient_code": "m5uxcr1",
}


def sign_up(client, data, language="it"):
    return client.post(reverse("account_signup"), data, HTTP_ACCEPT_LANGUAGE=language)


def errors_of(response) -> dict:
    return response.context["form"].errors


def test_an_italian_person_signs_up_with_codice_fiscale_and_address(client, settings):
    settings.TERMS_VERSION, settings.PRIVACY_VERSION = "2026-03", "2026-02"
    response = sign_up(client, {**PERSON, "fiscal_code": "rssmra85t10a562s"})
    assert response.status_code == 302
    new = Client.objects.get(owner__email="giulia@example.org")
    assert new.kind == Client.Kind.PERSON
    assert new.fiscal_code == "RSSMRA85T10A562S"
    assert (new.address, new.postcode, new.city, new.province) == (
        "Via Roma 1", "00184", "Roma", "RM",
    )  # fmt: skip
    consents = {c.document: c for c in Consent.objects.filter(user=new.owner)}
    assert set(consents) == {"terms", "privacy"}
    assert consents["terms"].version == "2026-03"
    assert consents["privacy"].version == "2026-02"
    assert consents["terms"].client == new
    assert consents["terms"].ip_address == "127.0.0.1"
    signed_up = AuditEvent.objects.get(client=new, action="signup").at
    assert abs((consents["terms"].accepted_at - signed_up).total_seconds()) < 5


def test_a_wrong_codice_fiscale_is_refused_in_italian_and_nothing_typed_is_lost(client):
    response = sign_up(client, {**PERSON, "fiscal_code": "RSSMRA85T10A562X"})
    assert response.status_code == 200
    assert errors_of(response)["fiscal_code"] == [
        "Questo codice fiscale non è valido (carattere di controllo errato)."
    ]
    page = response.content.decode()
    for typed in ("Giulia Neri", "giulia@example.org", "Via Roma 1", "00184", "RSSMRA85T10A562X"):
        assert typed in page
    assert not User.objects.filter(email="giulia@example.org").exists()


def test_an_italian_person_needs_codice_fiscale_and_address(client):
    data = {**PERSON, "fiscal_code": "", "address": "", "postcode": "", "city": ""}
    errors = errors_of(sign_up(client, data))
    assert errors["fiscal_code"] == [
        "Una persona residente in Italia deve indicare il codice fiscale."
    ]
    for field in ("address", "postcode", "city"):
        assert errors[field] == ["Serve per le tue fatture."]
    # A partita IVA is a business's: a person gives the codice fiscale.
    errors = errors_of(sign_up(client, {**PERSON, "fiscal_code": "00743110157"}))
    assert "fiscal_code" in errors


def test_a_person_outside_italy_may_leave_the_tax_code_out(client):
    data = {**PERSON, "country": "DE", "fiscal_code": "", "postcode": "10115", "city": "Berlin"}
    assert sign_up(client, data).status_code == 302


def test_both_documents_must_be_accepted(client):
    data = {k: v for k, v in PERSON.items() if k not in {"accept_terms", "accept_privacy"}}
    errors = errors_of(sign_up(client, data))
    assert {"accept_terms", "accept_privacy"} <= set(errors)
    assert not Consent.objects.exists()
    page = client.get(reverse("account_signup")).content.decode()
    assert 'href="/legal/terms/"' in page and 'href="/legal/privacy/"' in page
    assert client.get("/legal/terms/").status_code == 200
    assert client.get("/legal/privacy/").status_code == 200


def test_an_italian_company_with_vat_number_and_sdi_code(client):
    response = sign_up(client, COMPANY)
    assert response.status_code == 302
    new = Client.objects.get(owner__email="amministrazione@bianchi.example")
    assert new.kind == Client.Kind.COMPANY
    assert new.display_name == "Ferramenta Bianchi S.r.l."
    assert new.vat_number == "IT00743110157"
    profile = RecipientProfile.objects.get(client=new)
    assert (profile.recipient_code, profile.pec) == ("M5UXCR1", "")
    assert Consent.objects.filter(client=new).count() == 2


def test_an_italian_company_may_give_a_pec_instead(client):
    data = {**COMPANY, "recipient_code": "", "pec": "fatture@pec.bianchi.example"}
    assert sign_up(client, data).status_code == 302
    profile = RecipientProfile.objects.get(client__owner__email=COMPANY["email"])
    assert (profile.recipient_code, profile.pec) == ("", "fatture@pec.bianchi.example")


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"vat_number": "00743110158"}, "vat_number",
         "Questa partita IVA non è valida per il paese scelto"),
        ({"vat_number": ""}, "vat_number",
         "Un'azienda o un professionista nell'Unione europea deve indicare la partita IVA."),
        ({"recipient_code": "", "pec": ""}, "recipient_code",
         "Indica il codice destinatario SdI o un indirizzo PEC"),
        ({"recipient_code": "AB12"}, "recipient_code",
         "Il codice destinatario ha 7 lettere o cifre."),
        ({"recipient_code": "", "pec": "not-an-address"}, "pec", "email"),
        ({"company_name": ""}, "company_name", ""),
    ],
)  # fmt: skip
def test_an_italian_company_is_refused_on_the_field_at_fault(client, changes, field, message):
    response = sign_up(client, {**COMPANY, **changes})
    assert response.status_code == 200
    errors = errors_of(response)
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert "Via Roma 1" in response.content.decode()
    assert not User.objects.filter(email=COMPANY["email"]).exists()


def test_a_german_business_with_a_valid_vat_number_needs_no_sdi_code(client):
    data = {**COMPANY, "country": "DE", "vat_number": "136695976", "recipient_code": "",
            "company_name": "Muster GmbH", "postcode": "10115", "city": "Berlin"}  # fmt: skip
    assert sign_up(client, data, language="en").status_code == 302
    new = Client.objects.get(owner__email=COMPANY["email"])
    assert (new.country, new.vat_number) == ("DE", "DE136695976")
    wrong = {**data, "email": "other@muster.example", "vat_number": "DE136695977"}
    response = sign_up(client, wrong, language="en")
    assert (
        "This VAT number is not valid for the chosen country"
        in (errors_of(response)["vat_number"][0])
    )


def test_errors_follow_the_language_of_the_request(client):
    data = {**COMPANY, "recipient_code": "", "pec": ""}
    english = errors_of(sign_up(client, data, language="en"))["recipient_code"][0]
    spanish = errors_of(sign_up(client, data, language="es"))["recipient_code"][0]
    assert english.startswith("Give your SdI recipient code or a PEC address")
    assert spanish.startswith("Indique su código de destinatario SdI")


# --- the profile -------------------------------------------------------------------------

PROFILE = {
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
    "recipient_code": "",
    "pec": "",
    "phone": "",
    "language": "it",
}


def test_the_profile_applies_the_same_rules(client, owner):
    client.force_login(owner.owner)
    url = reverse("portal:profile")
    response = client.post(url, {**PROFILE, "fiscal_code": "", "postcode": ""})
    assert set(errors_of(response)) == {"fiscal_code", "postcode"}
    response = client.post(url, {**PROFILE, "kind": "company", "company_name": "Olga S.r.l.",
                                 "vat_number": "00743110157"})  # fmt: skip
    assert list(errors_of(response)) == ["recipient_code"]
    assert "Olga S.r.l." in response.content.decode()
    response = client.post(url, {**PROFILE, "kind": "company", "company_name": "Olga S.r.l.",
                                 "vat_number": "00743110157",
                                 "pec": "olga@pec.example"})  # fmt: skip
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.kind == Client.Kind.COMPANY and owner.vat_number == "IT00743110157"
    assert RecipientProfile.objects.get(client=owner).pec == "olga@pec.example"
    # The page shows what is stored, the PEC included.
    assert "olga@pec.example" in client.get(url).content.decode()


def test_a_public_administrations_six_character_office_code_stays_valid(client, owner):
    RecipientProfile.objects.create(client=owner, recipient_code="UFABCD",
                                    public_administration=True)  # fmt: skip
    client.force_login(owner.owner)
    data = {**PROFILE, "kind": "company", "company_name": "Comune di Olga",
            "vat_number": "00743110157", "recipient_code": "UFABCD"}  # fmt: skip
    assert client.post(reverse("portal:profile"), data).status_code == 302


def test_acceptances_are_on_the_security_page_and_in_the_export(client):
    sign_up(client, PERSON)
    new = Client.objects.get(owner__email=PERSON["email"])
    client.force_login(new.owner)
    page = client.get(reverse("portal:security")).content.decode()
    assert "Documenti che hai accettato" in page
    assert "Condizioni del servizio" in page and "Informativa sulla privacy" in page

    import io
    import json
    import zipfile
    from datetime import date

    from sportello.privacy.export import build

    archive = zipfile.ZipFile(io.BytesIO(build(new, "Provider", date(2026, 12, 6))))
    accepted = json.loads(archive.read("consents.json"))["accepted"]
    assert {row["document"] for row in accepted} == {"terms", "privacy"}
    assert all(row["version"] and row["at"] for row in accepted)


def test_the_demo_clients_satisfy_the_rules():
    from sportello.demo.data import CLIENTS

    for demo in CLIENTS:
        form = Form()
        form.cleaned_data = {}
        fields = ["fiscal_code", "vat_number", "address", "postcode", "city", "company_name"]
        form.fields.update(dict.fromkeys(fields))
        data = {"kind": demo.kind, "country": demo.country, "fiscal_code": demo.fiscal,
                "vat_number": demo.vat, "address": demo.address, "postcode": demo.postcode,
                "city": demo.city, "company_name": demo.company}  # fmt: skip
        check_billing_details(form, data)
        assert not form.errors, (demo.email, form.errors)


# --- allauth's notices and titles ----------------------------------------------------------


def test_sign_in_and_out_notices_are_in_the_users_language(client, owner):
    owner.owner.language = "it"
    owner.owner.save()
    response = client.post(
        reverse("account_login"), {"login": owner.contact_email, "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="en", follow=True,
    )  # fmt: skip
    page = response.content.decode()
    assert "Ti sei collegato con successo come" in page
    assert "Successfully signed in" not in page
    response = client.post(reverse("account_logout"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    page = response.content.decode()
    assert '<html lang="it">' in page
    assert "Successfully" not in page and "You have signed out" not in page


@pytest.mark.parametrize(
    "language, expected, wrong",
    [("en", "Password reset", "Password Reset"), ("es", "Restablecer contraseña",
                                                  "Restablecer Contraseña")],
)  # fmt: skip
def test_allauth_titles_are_in_sentence_case(client, language, expected, wrong):
    page = client.get(reverse("account_reset_password"), HTTP_ACCEPT_LANGUAGE=language)
    text = page.content.decode()
    assert expected in text and wrong not in text
