from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.accounts.models import Consent, User
from sportello.core.models import AuditEvent
from sportello.testing import make_client, make_service, make_staff

pytestmark = pytest.mark.django_db


def test_staff_without_two_factor_reaches_neither_desk_nor_admin(client):
    for url in [reverse("desk:home"), "/admin/"]:
        client.force_login(make_staff(totp=False))
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_clients_cannot_open_the_desk(client, owner):
    client.force_login(owner.owner)
    assert client.get(reverse("desk:home")).status_code == 403
    assert client.get(reverse("desk:client", args=[owner.pk])).status_code == 403


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_search_finds_clients_by_name_email_vat_and_domain(client, owner, other_client):
    make_service(owner, name="olga-shop.it")
    client.force_login(make_staff())
    for query in ["Olga", "owner@example", "olga-shop"]:
        found = client.get(reverse("desk:home"), {"q": query}).context["clients"]
        assert list(found) == [owner], query


def test_client_page_shows_profile_services_mail_and_events_and_is_audited(client, owner):
    make_service(owner, name="olga-shop.it")
    agent = make_staff()
    client.force_login(agent)
    page = client.get(reverse("desk:client", args=[owner.pk])).content.decode()
    assert "olga-shop.it" in page and owner.contact_email in page
    assert AuditEvent.objects.filter(
        action="staff_viewed_client", actor=agent, client=owner
    ).exists()


def test_staff_edit_of_a_client_is_audited(client, owner):
    agent = make_staff(User.Role.BILLING)
    client.force_login(agent)
    data = {
        "kind": "person",
        "name": "Olga Renamed",
        "country": "IT",
        "language": "it",
        "company_name": "",
        "fiscal_code": "RSSMRA85T10A562S",
        "vat_number": "",
        "address": "Via Verdi 3",
        "postcode": "20100",
        "city": "Milano",
        "province": "",
        "phone": "",
    }
    # Staff keep to the rules the client's own profile page applies.
    refused = client.post(reverse("desk:client_edit", args=[owner.pk]), {**data, "city": ""})
    assert list(refused.context["form"].errors) == ["city"]
    assert client.post(reverse("desk:client_edit", args=[owner.pk]), data).status_code == 302
    event = AuditEvent.objects.get(action="staff_changed_client", client=owner)
    assert event.actor == agent and "name" in event.detail


def test_only_admins_see_the_audit_log(client):
    client.force_login(make_staff(User.Role.AGENT))
    assert client.get(reverse("desk:audit")).status_code == 403
    client.force_login(make_staff(User.Role.ADMIN))
    assert client.get(reverse("desk:audit")).status_code == 200


def test_client_list_query_count_is_constant(client, django_assert_max_num_queries):
    client.force_login(make_staff())
    for n in range(3):
        make_service(make_client(name=f"Few {n}"))
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("desk:home"))
    for n in range(40):
        make_service(make_client(name=f"Many {n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("desk:home"))
    assert len(response.context["clients"]) == 43


def test_client_page_lists_the_acceptances_of_terms_and_privacy_in_the_staffs_language(
    client, owner, other_client
):
    accepted = timezone.make_aware(datetime(2026, 3, 14, 9, 30))
    Consent.objects.create(
        user=owner.owner,
        client=owner,
        document="terms",
        version="2026-01",
        accepted_at=accepted,
        ip_address="203.0.113.9",
    )
    Consent.objects.create(
        user=owner.owner, document="privacy", version="2026-02", accepted_at=accepted
    )
    Consent.objects.create(
        user=other_client.owner,
        client=other_client,
        document="terms",
        version="1999-09",
        accepted_at=accepted,
    )
    agent = make_staff()
    agent.language = "it"
    agent.save(update_fields=["language"])
    client.force_login(agent)
    page = client.get(reverse("desk:client", args=[owner.pk]), HTTP_ACCEPT_LANGUAGE="it")
    html = page.content.decode()
    assert "Accettazioni di termini e privacy" in html
    assert "Condizioni del servizio" in html and "Informativa sulla privacy" in html
    assert "2026-01" in html and "2026-02" in html and "203.0.113.9" in html
    assert "1999-09" not in html  # another client's acceptance
