from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from sportello.automation.registry import run_day, run_time
from sportello.billing.models import Invoice
from sportello.catalog.models import ProductType
from sportello.services.models import Service
from sportello.testing import make_product, make_service, make_tier

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def hosting(owner):
    product = make_product("hosting", ProductType.HOSTING, "49.00")
    return make_service(owner, product, name="olga.it", registered_on=date(2026, 1, 15))


@pytest.fixture
def logged_in(client, owner):
    owner.owner.language = "en"
    owner.owner.save()
    client.force_login(owner.owner)
    return client


def post(client, service, **data):
    return client.post(reverse("portal:service", args=[service.pk]), data, follow=True)


@time_machine.travel(datetime(2026, 11, 10, 10, 0, tzinfo=ROME))
def test_cancellation_in_time_ends_the_service_at_expiry(logged_in, owner, hosting):
    page = logged_in.get(reverse("portal:service", args=[hosting.pk])).content.decode()
    assert "ends on 15 January 2027" in page
    post(logged_in, hosting, action="cancel", confirm="on")
    hosting.refresh_from_db()
    assert hosting.cancellation_effective_on == date(2027, 1, 15)
    assert owner.emails.filter(template="cancellation_recorded").exists()
    run_day(run_time(date(2027, 1, 5)))
    assert not Invoice.objects.exists()  # no renewal invoice
    run_day(run_time(date(2027, 1, 16)))
    hosting.refresh_from_db()
    assert hosting.status == Service.Status.CANCELLED


@time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=ROME))
def test_late_cancellation_still_owes_the_renewal_and_says_so(logged_in, hosting):
    page = logged_in.get(reverse("portal:service", args=[hosting.pk])).content.decode()
    assert "the coming renewal is still due" in page
    post(logged_in, hosting, action="cancel", confirm="on")
    hosting.refresh_from_db()
    assert hosting.cancellation_effective_on == date(2028, 1, 15)
    run_day(run_time(date(2027, 1, 5)))
    assert Invoice.objects.get().lines.get().service == hosting


@time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=ROME))
def test_confirm_to_renew_issues_the_invoice_once(logged_in, owner):
    pec = make_product("pec", ProductType.PEC, "9.00", renewal_policy="confirm")
    service = make_service(owner, pec, name="olga@pec.it", registered_on=date(2026, 1, 20))
    response = post(logged_in, service, action="renew")
    invoice = Invoice.objects.get()
    assert response.redirect_chain[-1][0] == reverse("portal:invoice", args=[invoice.pk])
    post(logged_in, service, action="renew")
    assert Invoice.objects.count() == 1
    invoice.refresh_from_db()
    from sportello.billing.actions import record_payment

    record_payment(owner, invoice.total, date(2026, 12, 2), invoice=invoice)
    service.refresh_from_db()
    assert service.expires_on == date(2028, 1, 20)


def test_upgrade_request_is_a_ticket_for_sales(logged_in, owner, hosting):
    from sportello.helpdesk.models import Ticket

    owner.tier = make_tier("web", helpdesk_access=False)  # upgrades are always possible
    owner.save()
    response = post(logged_in, hosting, action="upgrade", description="Vorrei 10 caselle in più")
    ticket = Ticket.objects.get(client=owner)
    assert response.redirect_chain[-1][0] == reverse("portal:ticket", args=[ticket.code])
    assert ticket.department.code == "sales" and ticket.service == hosting
    assert ticket.details == {"to_add": "Vorrei 10 caselle in più"}


def test_another_client_cannot_act_on_the_service(client, other_client, hosting):
    client.force_login(other_client.owner)
    response = client.post(reverse("portal:service", args=[hosting.pk]),
                           {"action": "cancel", "confirm": "on"})  # fmt: skip
    assert response.status_code == 404
    hosting.refresh_from_db()
    assert hosting.cancellation_requested_on is None


@time_machine.travel(datetime(2026, 11, 20, 10, 0, tzinfo=ROME))
def test_staff_record_a_cancellation_received_by_registered_letter(client, owner, hosting):
    from sportello.testing import make_staff

    client.force_login(make_staff())
    url = reverse("desk:record_cancellation", args=[hosting.pk])
    assert client.get(url).status_code == 200
    # The letter arrived on 10 November: 66 days before the expiry, in time.
    client.post(url, {"received_on": "2026-11-10"})
    hosting.refresh_from_db()
    assert (hosting.cancellation_channel, hosting.cancellation_effective_on) == (
        "registered_letter",
        date(2027, 1, 15),
    )
    assert (
        "record_cancellation"
        not in client.get(reverse("desk:client", args=[owner.pk])).content.decode()
    )
