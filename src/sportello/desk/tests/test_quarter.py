"""A quarter of a provider's life, one daily run per day (each run twice), as a new client
and a billing clerk would live it: a coupon saved for a renewal, a payment reported with a
typo and also paid by a bank transfer the statement brings in, a domain cancelled exactly
60 days ahead, another client who never pays. Every invoice, notice, status change and
euro is checked with its date; nothing is paid, credited or charged twice."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.test import Client as Browser
from django.urls import reverse

from sportello.automation.registry import run_day, run_time
from sportello.billing import actions as billing
from sportello.billing.models import Coupon, Invoice, Payment, PaymentReport
from sportello.catalog.models import ProductType
from sportello.desk.tests.test_billing_desk import camt, upload
from sportello.services import actions as services
from sportello.services.models import Service, ServiceNotice
from sportello.testing import make_client, make_product, make_service

pytestmark = pytest.mark.django_db


def run_days(first: date, last: date) -> None:
    day = first
    while day <= last:
        for _twice in range(2):
            run_day(run_time(day))
        day += timedelta(days=1)


def report(browser: Browser, invoice: Invoice, amount: str, **extra: str):
    data = {"bank": "Intesa", "branch": "Milano 12", "paid_on": "2027-01-07",
            "receipt_number": "CRO 0001", "amount": amount, **extra}  # fmt: skip
    return browser.post(reverse("portal:report_payment", args=[invoice.pk]), data)


def test_a_quarter_of_renewals_reports_statements_coupons_and_cancellations(
    client, owner, billing_staff
):
    hosting = make_product("hosting-basic", ProductType.HOSTING, "100.00")
    domain = make_product("domain-it", ProductType.DOMAIN, "12.00")
    site = make_service(owner, hosting, name="olga.it", registered_on=date(2026, 1, 15))
    name = make_service(owner, domain, name="olga-shop.it", registered_on=date(2026, 2, 20))
    late = make_client(name="Lino Late")
    shop = make_service(late, hosting, name="lino.it", registered_on=date(2026, 1, 20))
    Coupon.objects.create(code="LOYAL", kind="percent", value=D("10"), renewals=True,
                          valid_from=date(2026, 10, 1), announced=True,
                          description="10% off your renewal")  # fmt: skip
    browser = Browser()

    # October–November: the client saves the coupon on the hosting before its renewal.
    with time_machine.travel(date(2026, 11, 2), tick=False):
        browser.force_login(owner.owner)
        browser.post(
            reverse("portal:service", args=[site.pk]), {"action": "coupon", "code": "loyal"}
        )
    run_days(date(2026, 11, 1), date(2026, 12, 22))

    # 22 December, 60 days before the domain's expiry: its renewal invoice is out, and the
    # client cancels the domain that same day, in time: the invoice is called off.
    domain_invoice = Invoice.objects.get(client=owner, lines__service=name)
    assert domain_invoice.issued_on == date(2026, 12, 22)
    billing_today = date(2026, 12, 22)
    with time_machine.travel(billing_today, tick=False):
        services.request_cancellation(name, billing_today)
    domain_invoice.refresh_from_db()
    assert domain_invoice.amount_due == 0
    assert domain_invoice.status in (Invoice.Status.WITHDRAWN, Invoice.Status.CREDITED)

    run_days(date(2026, 12, 23), date(2027, 1, 6))
    # The hosting renewal: 10 days before expiry, with the saved coupon, due by the expiry.
    renewal = Invoice.objects.get(client=owner, purpose=Invoice.Purpose.RENEWAL,
                                  lines__service=site)  # fmt: skip
    assert renewal.issued_on == date(2027, 1, 5) and renewal.due_on <= date(2027, 1, 15)
    assert (renewal.net_total, renewal.total) == (D("90.00"), D("109.80"))

    # 7 January: the client reports the payment with a typo; the form asks to confirm it.
    with time_machine.travel(date(2027, 1, 7), tick=False):
        browser.force_login(owner.owner)  # a new session, weeks later
        typo = report(browser, renewal, "10980.00")
        assert typo.status_code == 200 and typo.context["form"].errors["confirm_amount"]
        report(browser, renewal, "10980.00", confirm_amount="on")
    pending = PaymentReport.objects.get(invoice=renewal)

    # 9 January: the statement brings the real transfer in; the invoice is paid by it and
    # the report closes as already paid; approving it afterwards credits nothing.
    client.force_login(billing_staff)  # the desk, on the real clock
    statement = camt({"id": "BANK-7", "amount": "109.80", "ref": renewal.payment_reference,
                      "day": "2027-01-09"})  # fmt: skip
    upload(client, statement)
    upload(client, statement)  # the same file twice
    pending.refresh_from_db()
    renewal.refresh_from_db()
    assert renewal.status == Invoice.Status.PAID
    assert pending.status == PaymentReport.Status.ALREADY_PAID
    client.post(reverse("desk:payment_report_review", args=[pending.pk]),
                {"decision": "approve", "received": "10980.00", "confirmed": "1"})  # fmt: skip
    assert Payment.objects.filter(client=owner).count() == 1
    assert billing.credit_balance(owner) == 0

    run_days(date(2027, 1, 7), date(2027, 3, 31))
    site.refresh_from_db()
    name.refresh_from_db()
    shop.refresh_from_db()
    # Paid by its due date: renewed a year, never suspended, no reactivation fee.
    assert (site.status, site.expires_on) == (Service.Status.ACTIVE, date(2028, 1, 15))
    assert not Invoice.objects.filter(client=owner, purpose=Invoice.Purpose.STANDARD).exists()
    # The cancelled domain ended at its expiry with nothing owed and no late payment.
    assert name.status not in Service.LIVE_STATUSES
    assert billing.late_payments(owner, date(2027, 3, 31)) == 0
    # The client who never paid: suspended after the due date, then terminated.
    lino_invoice = Invoice.objects.get(client=late, purpose=Invoice.Purpose.RENEWAL)
    assert lino_invoice.due_on <= date(2027, 1, 20)
    assert shop.status == Service.Status.TERMINATED
    assert ServiceNotice.objects.filter(service=shop).exists()
    # One renewal invoice per service and period, whatever ran twice.
    assert Invoice.objects.filter(purpose=Invoice.Purpose.RENEWAL).count() == 3
    # The coupon was used once, on the renewal it was saved for.
    assert Coupon.objects.get(code="LOYAL").uses == 1
