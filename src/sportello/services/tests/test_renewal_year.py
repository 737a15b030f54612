"""A simulated stretch of the calendar, one daily run per day (each run twice), checking
which invoices, notices, suspensions and reactivations happen on which day."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import time_machine

from sportello.automation.registry import run_day, run_time
from sportello.billing import actions as billing
from sportello.billing.models import Invoice
from sportello.catalog.models import ProductType
from sportello.services.models import Service, ServiceNotice
from sportello.testing import make_product, make_service

pytestmark = pytest.mark.django_db


def run_days(first: date, last: date):
    day = first
    while day <= last:
        for _twice in range(2):
            run_day(run_time(day))
        day += timedelta(days=1)


@pytest.fixture
def services(owner):
    hosting = make_product("hosting-basic", ProductType.HOSTING, "49.00")
    domain = make_product("domain-it", ProductType.DOMAIN, "12.00")
    pec = make_product("pec", ProductType.PEC, "9.00", renewal_policy="confirm")
    return {
        "hosting": make_service(owner, hosting, name="olga.it", registered_on=date(2026, 1, 15)),
        "domain": make_service(owner, domain, name="olga.it", registered_on=date(2026, 3, 1)),
        "pec": make_service(owner, pec, name="olga@pec.it", registered_on=date(2026, 1, 20)),
    }


def test_a_year_end_of_renewals_without_payment(owner, services):
    run_days(date(2026, 12, 1), date(2027, 1, 25))
    [invoice] = Invoice.objects.filter(client=owner)
    # The domain is due 60 days ahead (31 December); the hosting, due 10 days ahead on
    # 5 January, falls within the week after and joins the same invoice, as in seed 004.
    assert (invoice.issued_on, invoice.total) == (date(2026, 12, 31), D("74.42"))  # 12 + 49 + 22%
    hosting_line = invoice.lines.get(service=services["hosting"])
    assert (hosting_line.period_start, hosting_line.period_end) == (
        date(2027, 1, 15),
        date(2028, 1, 15),
    )
    assert not invoice.lines.filter(service=services["pec"]).exists()  # confirm-to-renew

    notice_days = {
        name: sorted(
            service.expires_on - timedelta(days=n.days_before)
            for n in ServiceNotice.objects.filter(service=service)
        )
        for name, service in services.items()
    }
    assert notice_days["hosting"] == [
        date(2026, 12, 16), date(2026, 12, 31), date(2027, 1, 8), date(2027, 1, 12),
        date(2027, 1, 14), date(2027, 1, 15), date(2027, 1, 18), date(2027, 1, 22),
    ]  # fmt: skip
    assert notice_days["domain"] == [date(2026, 12, 31)]  # 60 days before 1 March
    # One email per notice, none twice although every day ran twice.
    assert owner.emails.filter(template="expiry_notice").count() == ServiceNotice.objects.count()

    for service in services.values():
        service.refresh_from_db()
    assert services["hosting"].status == Service.Status.SUSPENDED  # unpaid after 15 Jan
    assert services["pec"].status == Service.Status.EXPIRED  # not confirmed, not renewed
    assert services["domain"].status == Service.Status.ACTIVE  # expires in March


def test_confirm_to_renew_notice_says_what_is_lost(owner, services):
    run_days(date(2026, 12, 21), date(2026, 12, 21))  # 30 days before the PEC expires
    email = owner.emails.get(template="expiry_notice")
    assert "olga@pec.it" in email.subject
    # In the client's language, in the seed's own words (seed 000).
    assert "e-mail, file e cartelle" in email.body_text


def test_payment_renews_and_a_suspended_service_pays_the_reactivation_fee(owner, services):
    run_days(date(2027, 1, 5), date(2027, 1, 16))
    hosting = Service.objects.get(pk=services["hosting"].pk)
    assert hosting.status == Service.Status.SUSPENDED
    invoice = Invoice.objects.get(client=owner, issued_on=date(2027, 1, 5))
    billing.record_payment(owner, invoice.total, date(2027, 1, 17), invoice=invoice)
    hosting.refresh_from_db()
    assert hosting.status == Service.Status.ACTIVE
    assert hosting.expires_on == date(2028, 1, 15)
    fee = Invoice.objects.filter(client=owner).order_by("-id").first()
    assert fee.total == D("24.40") and "olga.it" in fee.lines.get().description
    # Paid in time the next year: no suspension, no fee.
    run_days(date(2028, 1, 5), date(2028, 1, 5))
    renewal = Invoice.objects.filter(client=owner, issued_on=date(2028, 1, 5)).get()
    billing.record_payment(owner, renewal.total, date(2028, 1, 6), invoice=renewal)
    hosting.refresh_from_db()
    assert hosting.expires_on == date(2029, 1, 15) and hosting.status == Service.Status.ACTIVE
    assert not Invoice.objects.filter(client=owner, issued_on__gt=date(2028, 1, 5)).exists()


def test_renewals_due_the_same_day_share_one_invoice(owner):
    hosting = make_product("hosting-pro", ProductType.HOSTING, "99.00")
    for name in ["a.it", "b.it"]:
        make_service(owner, hosting, name=name, registered_on=date(2026, 2, 1))
    run_days(date(2027, 1, 22), date(2027, 1, 22))
    invoice = Invoice.objects.get(client=owner)
    assert invoice.lines.count() == 2 and invoice.net_total == D("198.00")


def test_dry_run_changes_nothing(owner, services):
    result = run_day(run_time(date(2027, 1, 5)), dry_run=True)
    # The domain (due since 31 December) is caught up with the hosting, on one invoice.
    assert result["renewal_invoices"]["counts"] == {"invoices": 1, "services": 2}
    assert not Invoice.objects.exists() and not ServiceNotice.objects.exists()


def test_unpaid_services_are_terminated_30_days_after_expiry(owner, services):
    run_days(date(2027, 1, 5), date(2027, 1, 5))
    run_days(date(2027, 1, 16), date(2027, 1, 16))
    run_days(date(2027, 2, 14), date(2027, 2, 14))
    hosting = Service.objects.get(pk=services["hosting"].pk)
    assert hosting.status == Service.Status.SUSPENDED  # 30 days after expiry: not yet
    run_days(date(2027, 2, 15), date(2027, 2, 15))
    hosting.refresh_from_db()
    assert hosting.status == Service.Status.TERMINATED
    pec = Service.objects.get(pk=services["pec"].pk)
    assert pec.status == Service.Status.EXPIRED  # expired 20 Jan, not confirmed
    run_days(date(2027, 2, 20), date(2027, 2, 20))
    pec.refresh_from_db()
    assert pec.status == Service.Status.TERMINATED


def test_grace_days_and_the_suspension_notice(owner, services):
    from sportello.automation.models import JobSettings
    from sportello.services.models import RenewalTerms

    RenewalTerms.objects.update_or_create(product_type="hosting", defaults={"grace_days": 5})
    run_days(date(2027, 1, 5), date(2027, 1, 5))
    run_days(date(2027, 1, 20), date(2027, 1, 20))  # 5 days after expiry: still in grace
    hosting = Service.objects.get(pk=services["hosting"].pk)
    assert hosting.status == Service.Status.ACTIVE
    run_days(date(2027, 1, 21), date(2027, 1, 21))
    hosting.refresh_from_db()
    assert hosting.status == Service.Status.SUSPENDED
    assert owner.emails.filter(template="service_suspended").count() == 1

    JobSettings.objects.update_or_create(pk=1, defaults={"suspension_notice": False})
    other = make_service(owner, hosting.product, name="quiet.it", registered_on=date(2026, 1, 10))
    run_days(date(2026, 12, 31), date(2027, 1, 16))
    other.refresh_from_db()
    assert other.status == Service.Status.SUSPENDED
    assert owner.emails.filter(template="service_suspended").count() == 1  # no new notice


def test_renewals_falling_within_the_window_share_one_invoice(owner):
    hosting = make_product("hosting-pro", ProductType.HOSTING, "99.00")
    for name, registered in [("a.it", date(2026, 1, 15)), ("b.it", date(2026, 1, 21)),
                             ("c.it", date(2026, 1, 30))]:  # fmt: skip
        make_service(owner, hosting, name=name, registered_on=registered)
    run_days(date(2027, 1, 5), date(2027, 1, 20))
    invoices = Invoice.objects.filter(client=owner).order_by("issued_on")
    assert [
        (i.issued_on, sorted(i.lines.values_list("service__name", flat=True))) for i in invoices
    ] == [(date(2027, 1, 5), ["a.it", "b.it"]), (date(2027, 1, 20), ["c.it"])]


def test_showcases_renew_on_31_december(owner):
    showcase = make_product("showcase", ProductType.SHOWCASE, "120.00",
                            fixed_renewal_month=12, fixed_renewal_day=31)  # fmt: skip
    service = make_service(owner, showcase, name="Vetrina Olga", registered_on=date(2026, 5, 10))
    assert service.expires_on == date(2026, 12, 31)
    run_days(date(2026, 12, 20), date(2026, 12, 21))
    line = Invoice.objects.get(client=owner, issued_on=date(2026, 12, 21)).lines.get()
    assert (line.period_start, line.period_end) == (date(2026, 12, 31), date(2027, 12, 31))
    billing.record_payment(owner, D("146.40"), date(2026, 12, 22), invoice=line.invoice)
    service.refresh_from_db()
    assert service.expires_on == date(2027, 12, 31)


# --- the printed due date is the rule (BIL-4, BIL-7) -----------------------------------------


def test_a_renewal_falls_due_by_the_expiry_and_suspension_waits_for_it(owner, services):
    run_days(date(2027, 1, 5), date(2027, 1, 5))
    run_days(date(2027, 1, 15), date(2027, 1, 15))
    invoice = Invoice.objects.get(client=owner, issued_on=date(2027, 1, 5))
    # 15 days' terms would run to 20 January, after the hosting expires on the 15th.
    assert invoice.due_on == date(2027, 1, 15)
    hosting = Service.objects.get(pk=services["hosting"].pk)
    assert hosting.status == Service.Status.ACTIVE  # due today: not yet
    run_days(date(2027, 1, 16), date(2027, 1, 16))
    hosting.refresh_from_db()
    assert hosting.status == Service.Status.SUSPENDED
    [notice] = owner.emails.filter(template="service_suspended")
    assert invoice.display_number in notice.body_text


def test_a_payment_made_by_the_due_date_owes_no_reactivation_fee(owner, services):
    run_days(date(2027, 1, 5), date(2027, 1, 5))
    run_days(date(2027, 1, 16), date(2027, 1, 17))
    invoice = Invoice.objects.get(client=owner, issued_on=date(2027, 1, 5))
    assert Service.objects.get(pk=services["hosting"].pk).status == Service.Status.SUSPENDED
    # The transfer left on the due date and reached the books two days later.
    billing.record_payment(owner, invoice.total, date(2027, 1, 15), invoice=invoice)
    hosting = Service.objects.get(pk=services["hosting"].pk)
    assert hosting.status == Service.Status.ACTIVE and hosting.expires_on == date(2028, 1, 15)
    assert not Invoice.objects.filter(client=owner, purpose="standard").exists()  # no fee


def test_an_unpaid_domain_goes_on_hold_with_its_notice_and_comes_back_when_paid(owner):
    domain = make_product("domain-com", ProductType.DOMAIN, "15.00")
    site = make_service(owner, domain, name="olga.com", registered_on=date(2026, 2, 10))
    run_days(date(2026, 12, 12), date(2026, 12, 12))  # the renewal, 60 days ahead
    run_days(date(2027, 2, 10), date(2027, 2, 11))
    site.refresh_from_db()
    assert site.status == Service.Status.ON_HOLD  # not "suspended"
    [notice] = owner.emails.filter(template="domain_on_hold")
    assert "ON-HOLD" in notice.body_text and "olga.com" in notice.subject
    assert not owner.emails.filter(template="service_suspended").exists()
    invoice = site.renewals.get().invoice
    billing.record_payment(owner, invoice.total, date(2027, 2, 20), invoice=invoice)
    site.refresh_from_db()
    assert site.status == Service.Status.ACTIVE and site.expires_on == date(2028, 2, 10)


def test_the_service_page_names_the_invoice_that_unblocks_it(client, owner, services):
    from django.urls import reverse

    run_days(date(2027, 1, 5), date(2027, 1, 5))
    run_days(date(2027, 1, 16), date(2027, 1, 16))
    invoice = Invoice.objects.get(client=owner, issued_on=date(2027, 1, 5))
    owner.owner.language = "en"
    owner.owner.save()
    client.force_login(owner.owner)
    page = client.get(reverse("portal:service", args=[services["hosting"].pk])).content.decode()
    assert "blocked until its renewal is paid" in page
    assert reverse("portal:invoice", args=[invoice.pk]) in page and invoice.display_number in page


# --- a cancellation in time calls off the renewal (SRV-4) -------------------------------------


def test_a_domain_cancelled_60_days_ahead_voids_its_renewal_invoice(owner):
    from sportello.services import actions as services_actions

    domain = make_product("domain-net", ProductType.DOMAIN, "15.00")
    site = make_service(owner, domain, name="olga.net", registered_on=date(2026, 3, 1))
    run_days(date(2026, 12, 31), date(2026, 12, 31))  # 60 days before 1 March: invoiced
    invoice = site.renewals.get().invoice
    assert invoice.status == Invoice.Status.OPEN
    # The client cancels the same day, exactly 60 days ahead: in time.
    services_actions.request_cancellation(site, date(2026, 12, 31))
    invoice.refresh_from_db()
    [note] = invoice.credit_notes.all()
    assert invoice.status == Invoice.Status.CREDITED and note.total == invoice.total
    assert billing.late_payments(owner, date(2027, 3, 15)) == 0
    run_days(date(2027, 3, 1), date(2027, 3, 2))
    site.refresh_from_db()
    assert site.status == Service.Status.CANCELLED  # ended at expiry, not on hold
    assert not Invoice.objects.filter(client=owner, issued_on__gt=date(2026, 12, 31)).exists()


def test_a_cancellation_calls_off_only_its_own_line_of_a_shared_invoice(owner, services):
    from sportello.services import actions as services_actions

    run_days(date(2026, 12, 31), date(2026, 12, 31))  # domain and hosting on one invoice
    invoice = services["domain"].renewals.get().invoice
    assert invoice.lines.count() == 2
    services_actions.request_cancellation(services["domain"], date(2026, 12, 31))
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.amount_due == D("59.78")  # the hosting alone, 49.00 + 22%


def test_the_notice_days_are_a_setting_per_product_type(owner, services):
    from sportello.services import actions as services_actions
    from sportello.services.models import RenewalTerms

    RenewalTerms.objects.update_or_create(
        product_type="hosting", defaults={"cancellation_notice_days": 30}
    )
    hosting = services["hosting"]  # expires 15 January 2027
    assert services_actions.cancellation_terms(hosting, date(2026, 12, 16)) == (
        date(2027, 1, 15),
        False,
    )
    assert services_actions.cancellation_terms(hosting, date(2026, 12, 17))[1] is True


# --- what a status asks of staff ------------------------------------------------------------


def test_every_block_and_reactivation_is_a_task_for_staff_until_done(client, owner, services):
    from django.urls import reverse

    from sportello.services.models import ProvisioningTask
    from sportello.testing import make_staff

    run_days(date(2027, 1, 5), date(2027, 1, 5))
    run_days(date(2027, 1, 16), date(2027, 1, 17))
    hosting = services["hosting"]
    [suspend] = ProvisioningTask.objects.filter(service=hosting)
    assert (suspend.action, suspend.day) == ("suspend", date(2027, 1, 16))
    # The PEC, not confirmed, expires on 20 January: its mailbox stops.
    run_days(date(2027, 1, 21), date(2027, 1, 21))
    assert ProvisioningTask.objects.filter(service=services["pec"], action="suspend").exists()

    invoice = Invoice.objects.get(client=owner, issued_on=date(2027, 1, 5))
    billing.record_payment(owner, invoice.total, date(2027, 1, 18), invoice=invoice)
    assert ProvisioningTask.objects.filter(service=hosting, action="restore").exists()

    agent = make_staff("agent")
    client.force_login(agent)
    page = client.get(reverse("desk:tasks")).content.decode()
    assert "olga.it" in page and "olga@pec.it" in page
    client.post(reverse("desk:tasks"), {"task": suspend.pk})
    suspend.refresh_from_db()
    assert suspend.done_by == agent and suspend.done_at is not None
    assert f'value="{suspend.pk}"' not in client.get(reverse("desk:tasks")).content.decode()


def test_the_provider_stops_renewing_a_late_payers_service_from_the_first_expiry_in_time(
    client, owner, services
):
    from django.urls import reverse

    from sportello.testing import make_staff

    clerk = make_staff("billing")
    client.force_login(clerk)
    detail = client.get(reverse("desk:client", args=[owner.pk])).content.decode()
    stop = reverse("desk:stop_renewal", args=[services["domain"].pk])
    assert stop in detail
    with time_machine.travel("2026-12-20 10:00:00+01:00", tick=False):
        client.post(stop)  # 71 days before the domain expires on 1 March: in time
        client.post(reverse("desk:stop_renewal", args=[services["hosting"].pk]))  # 26 days
    domain = Service.objects.get(pk=services["domain"].pk)
    hosting = Service.objects.get(pk=services["hosting"].pk)
    assert domain.cancellation_effective_on == date(2027, 3, 1)
    assert hosting.cancellation_effective_on == date(2028, 1, 15)  # renews once more
    notices = owner.emails.filter(template="renewal_stopped")
    assert notices.count() == 2
    run_days(date(2026, 12, 31), date(2026, 12, 31))  # the domain's renewal day
    run_days(date(2027, 1, 5), date(2027, 1, 5))  # the hosting's
    assert not domain.renewals.exists()
    assert hosting.renewals.filter(period_start=date(2027, 1, 15)).exists()
