from datetime import date

import pytest
from django.core.exceptions import ValidationError

from sportello.catalog.models import OperatingSystem, ProductType
from sportello.catalog.models import ProductType as T
from sportello.services.actions import create_service
from sportello.testing import make_product, make_service, make_support_plan

pytestmark = pytest.mark.django_db


def test_a_service_runs_one_year_from_registration():
    product = make_product()
    assert product.expiry_for(date(2026, 3, 1)) == date(2027, 3, 1)
    assert product.expiry_for(date(2024, 2, 29)) == date(2025, 2, 28)


def test_product_term_can_differ():
    assert make_product(term_months=24).expiry_for(date(2026, 3, 1)) == date(2028, 3, 1)


def test_showcases_renew_on_31_december():
    showcase = make_product(type=T.SHOWCASE, fixed_renewal_month=12, fixed_renewal_day=31)
    assert showcase.expiry_for(date(2026, 5, 10)) == date(2026, 12, 31)
    assert showcase.expiry_for(date(2026, 12, 31)) == date(2027, 12, 31)


def test_fixed_date_must_exist():
    product = make_product(fixed_renewal_month=2, fixed_renewal_day=30)
    with pytest.raises(ValidationError):
        product.clean()


@pytest.fixture
def plans():
    return {
        "basic": make_support_plan(
            "basic", [(T.DEDICATED, False), (T.COLOCATION, False), (T.VPS, False)]
        ),
        "managed": make_support_plan("managed", [(T.DEDICATED, True)]),
        "global": make_support_plan("global", [(T.DEDICATED, True), (T.VPS, True)]),
    }


@pytest.fixture
def servers(owner):
    def server(type_, os=OperatingSystem.LINUX):
        return make_service(owner, make_product(type=type_), operating_system=os)

    return server


def order_plan(owner, plan, server):
    return create_service(
        owner,
        plan,
        name=f"{plan.name} on {server.name}",
        registered_on=date(2026, 1, 1),
        parent=server,
    )


@pytest.mark.parametrize(
    "level, server_type, os, allowed",
    [
        ("basic", T.COLOCATION, OperatingSystem.WINDOWS, True),
        ("basic", T.VPS, OperatingSystem.LINUX, True),
        ("managed", T.DEDICATED, OperatingSystem.LINUX, True),
        ("managed", T.COLOCATION, OperatingSystem.LINUX, False),
        ("managed", T.DEDICATED, OperatingSystem.WINDOWS, False),
        ("managed", T.VPS, OperatingSystem.LINUX, False),
        ("global", T.VPS, OperatingSystem.LINUX, True),
        ("global", T.COLOCATION, OperatingSystem.LINUX, False),
        ("global", T.DEDICATED, OperatingSystem.WINDOWS, False),
    ],
)
def test_support_plans_only_where_they_apply(
    owner, plans, servers, level, server_type, os, allowed
):
    server = servers(server_type, os)
    if allowed:
        assert order_plan(owner, plans[level], server).parent == server
    else:
        with pytest.raises(ValidationError) as refused:
            order_plan(owner, plans[level], server)
        assert plans[level].name in refused.value.messages[0]


def test_refusal_says_why_in_plain_words(owner, plans, servers, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as refused:
        order_plan(owner, plans["managed"], servers(T.DEDICATED, OperatingSystem.WINDOWS))
    assert refused.value.messages == [
        "The support-managed plan is available only for servers running Linux."
    ]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        order_plan(owner, plans["managed"], servers(T.COLOCATION))
    assert "does not apply to a Colocation" in refused.value.messages[0]


def test_plan_on_another_clients_server_is_refused(owner, other_client, plans):
    server = make_service(other_client, make_product(type=T.DEDICATED), operating_system="linux")
    with pytest.raises(ValidationError):
        order_plan(owner, plans["basic"], server)


def test_service_takes_price_and_policy_from_the_product(owner):
    product = make_product(type=ProductType.DOMAIN, price="12.50", renewal_policy="confirm")
    service = create_service(owner, product, name=" Example.IT ", registered_on=date(2026, 4, 2))
    assert service.name == "example.it"
    assert str(service.price) == "12.50"
    assert service.renewal_policy == "confirm"
    assert service.expires_on == date(2027, 4, 2)


def test_the_admin_refuses_a_plan_where_it_does_not_apply(client, owner, plans, servers):
    from sportello.testing import make_staff

    server = servers(T.COLOCATION)
    admin = make_staff("admin")
    admin.language = "en"
    admin.save()
    client.force_login(admin)
    response = client.post(
        "/admin/services/service/add/",
        {
            "client": owner.pk,
            "product": plans["managed"].pk,
            "name": "managed",
            "status": "active",
            "registered_on": "2026-01-01",
            "expires_on": "2027-01-01",
            "renewal_policy": "tacit",
            "cycle_months": 12,
            "price": "900.00",
            "currency": "EUR",
            "parent": server.pk,
            "operating_system": "",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "does not apply to a Colocation" in response.content.decode()
    assert not server.addons.exists()


def test_only_administrators_configure_the_catalogue(client):
    from sportello.testing import make_staff

    client.force_login(make_staff("agent"))
    assert client.get("/admin/catalog/product/").status_code == 302
    client.force_login(make_staff("admin"))
    assert client.get("/admin/catalog/product/").status_code == 200


def test_a_price_in_another_currency_is_refused_with_a_clear_error(client):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction
    from django.urls import reverse

    from sportello.catalog.models import Price
    from sportello.testing import make_product, make_staff

    product = make_product("hosting-usd", price="100.00")
    price = product.prices.get()
    price.currency = "USD"
    with pytest.raises(ValidationError) as error:
        price.full_clean()
    assert "EUR" in error.value.message_dict["currency"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Price.objects.filter(pk=price.pk).update(currency="USD")

    client.force_login(make_staff("admin"))
    url = reverse("admin:catalog_product_change", args=[product.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and not isinstance(v, list)}
    data.update({
        "prices-TOTAL_FORMS": "1", "prices-INITIAL_FORMS": "1",
        "prices-MIN_NUM_FORMS": "0", "prices-MAX_NUM_FORMS": "1000",
        "prices-0-id": str(price.pk), "prices-0-product": str(product.pk),
        "prices-0-cycle_months": "12", "prices-0-amount": "100.00", "prices-0-currency": "USD",
        "support_rules-TOTAL_FORMS": "0", "support_rules-INITIAL_FORMS": "0",
        "support_rules-MIN_NUM_FORMS": "0", "support_rules-MAX_NUM_FORMS": "1000",
    })  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 200
    assert "EUR" in str(response.context["inline_admin_formsets"][0].formset.errors)
    assert Price.objects.get(pk=price.pk).currency == "EUR"
