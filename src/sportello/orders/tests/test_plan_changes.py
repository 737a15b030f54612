"""A running hosting moved to another plan: the upgrade invoiced for the days left and made
when paid (WHM's package changed), the downgrade made at once with the unused difference
credited on the invoice that billed the period."""

from datetime import date, datetime, time
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sportello import testing
from sportello.billing import actions as billing
from sportello.billing.models import Invoice
from sportello.catalog.models import ProductType
from sportello.orders import actions
from sportello.orders.models import PlanChange
from sportello.provisioning import dispatch
from sportello.provisioning.models import Operation, ProductModule, Server
from sportello.services.models import Service

pytestmark = pytest.mark.django_db


def noon(day):
    return timezone.make_aware(datetime.combine(day, time(12)))


@pytest.fixture
def plans(whm):
    server = Server.objects.create(name="whm1", module="cpanel", url=whm.url, username="root",
                                   secret=whm.token)  # fmt: skip
    basic = testing.make_product("basic", ProductType.HOSTING, "49.00")
    pro = testing.make_product("pro", ProductType.HOSTING, "99.00")
    elsewhere = testing.make_product("other-server", ProductType.HOSTING, "59.00")
    testing.make_product("a-mailbox", ProductType.MAILBOX, "9.00")
    ProductModule.objects.create(product=basic, server=server, package="basic_plan")
    ProductModule.objects.create(product=pro, server=server, package="pro_plan")
    other = Server.objects.create(name="whm2", module="cpanel", url=whm.url, username="root",
                                  secret=whm.token)  # fmt: skip
    ProductModule.objects.create(product=elsewhere, server=other, package="x")
    return {"basic": basic, "pro": pro, "whm": whm}


def running(product, django_capture_on_commit_callbacks, registered_on=date(2026, 1, 1)):
    customer = testing.make_client("piano@example.org", name="Piano Cliente",
                                   fiscal_code="RSSMRA80A01F205X")  # fmt: skip
    service = testing.make_service(
        customer, product, name="piano.it", status=Service.Status.PENDING,
        registered_on=registered_on,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.activate([service], registered_on)
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    return service


def test_an_upgrade_is_invoiced_for_the_days_left_and_made_when_paid(
    plans, django_capture_on_commit_callbacks
):
    service = running(plans["basic"], django_capture_on_commit_callbacks)
    assert service.expires_on == date(2027, 1, 1)
    # Only the plans on the same server, of the same type.
    assert [p.code for p, _price in actions.plan_options(service)] == ["pro"]

    day = date(2026, 7, 2)  # 183 of 365 days left
    with django_capture_on_commit_callbacks(execute=True):
        change = actions.change_plan(service, plans["pro"], service.client.owner, noon(day))
    assert change.status == PlanChange.Status.AWAITING_PAYMENT
    assert change.amount == D("25.07")  # 50.00 × 183 / 365
    [line] = change.invoice.lines.all()
    assert line.unit_price == D("25.07") and line.service_id == service.pk
    assert (line.period_start, line.period_end) == (day, date(2027, 1, 1))
    service.refresh_from_db()
    assert service.product == plans["basic"] and service.price == D("49.00")
    with pytest.raises(ValidationError):  # one change at a time waits for payment
        actions.change_plan(service, plans["pro"], service.client.owner, noon(day))

    with django_capture_on_commit_callbacks(execute=True):
        billing.record_payment(service.client, change.invoice.total, day, invoice=change.invoice)
    change.refresh_from_db()
    service.refresh_from_db()
    assert change.status == PlanChange.Status.APPLIED
    assert service.product == plans["pro"] and service.price == D("99.00")
    assert service.expires_on == date(2027, 1, 1)  # the period is not moved
    [account] = plans["whm"].accounts.values()
    assert account["plan"] == "pro_plan"
    operation = Operation.objects.get(action=Operation.Action.CHANGE_PACKAGE)
    assert operation.status == Operation.Status.DONE and operation.key == f"plan:{change.pk}"


def test_a_downgrade_is_made_at_once_and_the_unused_difference_credited(
    plans, django_capture_on_commit_callbacks
):
    service = running(plans["pro"], django_capture_on_commit_callbacks)
    period = billing.create_invoice(
        service.client,
        [billing.Line("Hosting pro", D("99.00"), service=service,
                      period_start=date(2026, 1, 1), period_end=date(2027, 1, 1))],
        noon(date(2026, 1, 1)),
    )  # fmt: skip
    billing.record_payment(service.client, period.total, date(2026, 1, 2), invoice=period)
    period.refresh_from_db()
    assert period.number is not None
    before = billing.credit_balance(service.client)

    day = date(2026, 7, 2)
    with django_capture_on_commit_callbacks(execute=True):
        change = actions.change_plan(service, plans["basic"], service.client.owner, noon(day))
    assert change.status == PlanChange.Status.APPLIED and change.amount == D("-25.07")
    note = change.credit_note
    assert note.kind == Invoice.Kind.CREDIT_NOTE and note.corrects == period
    assert note.net_total == D("25.07") and note.total == D("30.59")  # + 22% VAT
    assert billing.credit_balance(service.client) == before + D("30.59")
    service.refresh_from_db()
    assert service.product == plans["basic"] and service.price == D("49.00")
    assert list(plans["whm"].accounts.values())[0]["plan"] == "basic_plan"


def test_the_client_sees_the_options_confirms_and_gets_the_invoice(
    client, plans, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    service = running(plans["basic"], django_capture_on_commit_callbacks,
                      registered_on=today.replace(day=1))  # fmt: skip
    client.force_login(service.client.owner)
    page = client.get(reverse("portal:service", args=[service.pk]))
    assert b'id="plan-change"' in page.content
    url = reverse("portal:service_plan", args=[service.pk])
    options = client.get(url).context["options"]
    assert [(p.code, price) for p, price, _q in options] == [("pro", D("99.00"))]
    expected = options[0][2].amount

    shown = client.post(url, {"product": plans["pro"].pk})
    assert shown.context["chosen"][1].amount == expected
    assert PlanChange.objects.count() == 0  # nothing until confirmed
    # A plan of another server or type is refused.
    other = client.post(url, {"product": plans["basic"].pk + 2, "confirm": "1"})
    assert other.status_code == 200 and PlanChange.objects.count() == 0

    done = client.post(url, {"product": plans["pro"].pk, "confirm": "1"})
    change = PlanChange.objects.get()
    assert done["Location"] == reverse("portal:invoice", args=[change.invoice.pk])
    assert change.invoice.lines.get().unit_price == expected
    page = client.get(reverse("portal:service", args=[service.pk]))
    assert change.invoice.display_number.encode() in page.content

    stranger = testing.make_client("estraneo@example.org")
    client.force_login(stranger.owner)
    assert client.get(url).status_code == 404
