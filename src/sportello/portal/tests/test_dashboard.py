from datetime import date

import pytest
from django.urls import reverse
from django.utils.html import escape

from sportello.catalog.models import ProductType
from sportello.mail.actions import queue_to_client
from sportello.services.models import Service
from sportello.testing import make_product, make_service, make_tier

pytestmark = pytest.mark.django_db


def test_dashboard_shows_services_with_status_dates_and_renewal(client, owner):
    domain = make_product("dom-it", ProductType.DOMAIN, name="Dominio .it")
    make_service(owner, domain, name="olga.it", registered_on=date(2026, 3, 1))
    make_service(owner, name="old.it", status=Service.Status.SUSPENDED)
    queue_to_client(owner, "welcome")
    owner.owner.language = "en"
    owner.owner.save()
    client.force_login(owner.owner)
    page = client.get(reverse("portal:home")).content.decode()
    assert "olga.it" in page and "Dominio .it" in page
    assert "1 March 2026" in page  # registration, in the English date format
    assert "1 March 2027" in page  # one year later (SRV-2)
    assert "status-suspended" in page
    assert "Renews automatically every year" in page
    assert escape(owner.emails.get().subject) in page


def test_dashboard_query_count_does_not_grow_with_services(
    client, owner, django_assert_max_num_queries
):
    client.force_login(owner.owner)
    product = make_product()
    make_service(owner, product)
    # (one query of them lists the open tickets, one the promotions)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("portal:home"))
    for _ in range(30):
        make_service(owner, product)
        queue_to_client(owner, "welcome")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("portal:home"))
    assert len(response.context["services"]) == 31


def test_tier_without_help_desk_is_told_how_to_get_access(client, owner):
    owner.tier = make_tier("web", helpdesk_access=False, access_instructions="Passa a GOLD.")
    owner.save()
    client.force_login(owner.owner)
    assert "Passa a GOLD." in client.get(reverse("portal:home")).content.decode()
