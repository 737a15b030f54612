"""The client picker wherever staff choose a client: found by name, email, VAT number or
domain, for staff only."""

import pytest
from django.urls import reverse

from sportello.accounts.models import User
from sportello.testing import make_client, make_service, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def bianchi(db):
    client = make_client("info@ferramentabianchi.example", name="Ferramenta Bianchi",
                         vat_number="IT01234567890")  # fmt: skip
    make_service(client, name="ferramentabianchi.it")
    return client


def found(client, query):
    response = client.get(reverse("desk:client_search"), {"q": query})
    assert response.status_code == 200
    return [row["id"] for row in response.json()["clients"]]


@pytest.mark.parametrize("query", ["bianchi", "FERRAMENTA", "info@ferr", "01234567", "bianchi.it"])
def test_clients_found_by_name_email_vat_number_or_domain(client, bianchi, query):
    make_client("someone@example.org", name="Someone Else")
    client.force_login(make_staff(User.Role.BILLING))
    assert found(client, query) == [bianchi.pk]


def test_a_result_names_the_client_its_email_and_domain(client, bianchi):
    client.force_login(make_staff(User.Role.AGENT))
    row = client.get(reverse("desk:client_search"), {"q": "bianchi"}).json()["clients"][0]
    assert row == {"id": bianchi.pk, "name": "Ferramenta Bianchi",
                   "email": "info@ferramentabianchi.example", "vat_number": "IT01234567890",
                   "domain": "ferramentabianchi.it"}  # fmt: skip


def test_short_or_junk_queries_find_nothing(client, bianchi):
    client.force_login(make_staff(User.Role.AGENT))
    assert found(client, "b") == []
    assert found(client, "\x00%_") == []


def test_clients_cannot_search(client, bianchi, owner):
    client.force_login(owner.owner)
    assert client.get(reverse("desk:client_search"), {"q": "bianchi"}).status_code in (403, 404)


@pytest.mark.parametrize("page", ["desk:invoice_new", "desk:quote_new", "desk:payments",
                                  "desk:ticket_new"])  # fmt: skip
def test_client_fields_carry_the_picker(client, page):
    client.force_login(make_staff(User.Role.ADMIN))
    html = client.get(reverse(page)).content.decode()
    assert f'data-client-search="{reverse("desk:client_search")}"' in html
