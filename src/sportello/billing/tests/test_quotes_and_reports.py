from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from sportello.billing import actions
from sportello.billing.actions import Line
from sportello.billing.jobs import invoice_overdue_balances
from sportello.billing.models import Coupon, Invoice, PaymentReport, Quote, QuoteLine
from sportello.billing.pricing import line_net
from sportello.testing import make_product, make_service, make_staff

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=ROME)


@pytest.fixture
def quote(owner):
    quote = Quote.objects.create(client=owner, title="Sito vetrina", deposit_percent=D("30"))
    for description, qty, price in [("Design", 1, "1000.00"), ("Pages", 5, "100.00")]:
        QuoteLine.objects.create(quote=quote, description=description, quantity=qty,
                                 unit_price=D(price), net=line_net(D(qty), D(price)))  # fmt: skip
    return actions.send_quote(quote)


def test_accepting_a_quote_issues_the_deposit_and_records_time_and_ip(quote, rf):
    request = rf.post("/", REMOTE_ADDR="203.0.113.9")
    deposit = actions.accept_quote(quote, NOW, request=request)
    quote.refresh_from_db()
    assert (quote.accepted_at, quote.accepted_ip) == (NOW, "203.0.113.9")
    assert deposit.purpose == Invoice.Purpose.DEPOSIT and deposit.net_total == D("450.00")
    assert deposit.total == D("549.00")
    assert quote.client.emails.filter(template="invoice_issued").count() == 1
    with pytest.raises(ValidationError):
        actions.accept_quote(quote, NOW)


def test_delivery_issues_the_balance_once(quote):
    actions.accept_quote(quote, NOW)
    balance = actions.invoice_quote_balance(quote, NOW, delivered=True)
    assert balance.net_total == D("1050.00")
    assert actions.invoice_quote_balance(quote, NOW, delivered=True) is None
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DELIVERED


def test_balance_is_due_anyway_180_days_after_acceptance(quote):
    actions.accept_quote(quote, NOW)
    assert invoice_overdue_balances(NOW + timedelta(days=179)) == {"balance_invoices": 0}
    assert invoice_overdue_balances(NOW + timedelta(days=180)) == {"balance_invoices": 1}
    assert invoice_overdue_balances(NOW + timedelta(days=181)) == {"balance_invoices": 0}
    quote.refresh_from_db()
    assert quote.balance_invoice.net_total == D("1050.00")
    assert quote.status == Quote.Status.ACCEPTED  # still not delivered


@pytest.mark.parametrize(
    "reported, review_on",
    [
        (datetime(2026, 3, 10, 16, 59, tzinfo=ROME), date(2026, 3, 10)),  # Tuesday, before 17
        (datetime(2026, 3, 10, 17, 0, tzinfo=ROME), date(2026, 3, 11)),  # after 17: next day
        (datetime(2026, 3, 13, 18, 30, tzinfo=ROME), date(2026, 3, 16)),  # Friday → Monday
        (datetime(2026, 3, 14, 10, 0, tzinfo=ROME), date(2026, 3, 16)),  # Saturday → Monday
        (datetime(2026, 4, 3, 18, 0, tzinfo=ROME), date(2026, 4, 7)),  # Fri → Easter Monday off
        (datetime(2026, 4, 24, 17, 30, tzinfo=ROME), date(2026, 4, 27)),  # Liberation Day Sat
    ],
)
def test_reports_after_17_are_reviewed_the_next_working_day(reported, review_on):
    assert actions.review_day(reported) == review_on


def test_reports_wait_out_the_providers_closing_days():
    from sportello.core.models import ClosingDay

    ClosingDay.objects.create(day=date(2026, 3, 11), name="Chiusura straordinaria")
    assert actions.review_day(datetime(2026, 3, 10, 17, 0, tzinfo=ROME)) == date(2026, 3, 12)


def test_approving_a_report_records_the_payment(owner):
    invoice = actions.create_invoice(owner, [Line("Hosting", D("100"))], NOW, send=False)
    report = actions.report_payment(
        owner, invoice, {"bank": "Intesa", "branch": "Milano 12", "paid_on": date(2026, 3, 9),
                         "receipt_number": "CRO 123", "amount": D("122.00")}, NOW,
    )  # fmt: skip
    actions.approve_report(report, make_staff("billing"))
    invoice.refresh_from_db()
    report.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert report.status == PaymentReport.Status.APPROVED and report.payment.amount == D("122.00")
    with pytest.raises(ValidationError):
        actions.approve_report(report, make_staff("billing"))


def test_percentage_coupon_on_its_products_with_a_use_limit(owner):
    hosting = make_product(price="100.00")
    service = make_service(owner, hosting)
    coupon = Coupon.objects.create(code="WELCOME10", kind="percent", value=D("10"),
                                   valid_from=date(2026, 1, 1), max_uses=1)  # fmt: skip
    coupon.products.add(hosting)
    lines = [Line("Hosting", D("100.00"), service=service), Line("Other", D("50.00"))]
    invoice = actions.create_invoice(owner, lines, NOW, coupon="welcome10", send=False)
    assert invoice.net_total == D("140.00")  # 10% off the hosting only
    with pytest.raises(ValidationError):
        actions.create_invoice(owner, lines, NOW, coupon="WELCOME10", send=False)
    coupon.refresh_from_db()
    assert coupon.uses == 1


def test_expired_coupon_is_refused(owner):
    Coupon.objects.create(code="OLD", kind="fixed", value=D("5"), valid_from=date(2025, 1, 1),
                          valid_to=date(2025, 12, 31))  # fmt: skip
    with pytest.raises(ValidationError):
        actions.create_invoice(owner, [Line("x", D("10"))], NOW, coupon="OLD", send=False)
    assert not Invoice.objects.exists()


def test_extra_charge_goes_on_the_next_invoice_or_at_once(owner):
    actions.add_charge(owner, "Recupero password pannello", D("15.00"), NOW)
    invoice = actions.create_invoice(owner, [Line("Hosting", D("100"))], NOW, send=False,
                                     include_pending_charges=True)  # fmt: skip
    assert invoice.net_total == D("115.00")
    charge = actions.add_charge(owner, "Riattivazione", D("20.00"), NOW, invoice_now=True)
    assert charge.invoice_line.invoice.total == D("24.40")
