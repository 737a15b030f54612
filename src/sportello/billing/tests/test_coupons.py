"""Coupons the client enters (BIL-14): on an invoice still to pay, on a service before its
renewal, announced where they apply; never a discount twice, never credit out of nothing."""

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from sportello.automation.registry import run_day, run_time
from sportello.billing import actions
from sportello.billing.actions import Line
from sportello.billing.models import BillingSettings, Coupon, CouponUse, Invoice
from sportello.catalog.models import ProductType
from sportello.core.models import AuditEvent
from sportello.testing import make_client, make_product, make_service

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=ROME)


def coupon(code="SPRING20", *, kind="percent", value="20", products=(), **fields) -> Coupon:
    fields.setdefault("valid_from", date(2026, 1, 1))
    made = Coupon.objects.create(code=code, kind=kind, value=D(value), **fields)
    made.products.set(products)
    return made


def payment_notice(client, lines):
    settings = BillingSettings.current()
    settings.numbering = BillingSettings.Numbering.AT_PAYMENT
    settings.save()
    return actions.create_invoice(client, lines, NOW, send=False)


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def hosting():
    return make_product("hosting-pro", ProductType.HOSTING, "100.00")


def test_client_enters_a_coupon_on_a_payment_notice(client, owner, hosting):
    service = make_service(owner, hosting)
    notice = payment_notice(owner, [Line("Hosting", D("100.00"), service=service)])
    coupon(
        "SPRING20", products=[hosting], announced=True, description="20% off hosting this spring"
    )
    client.force_login(owner.owner)
    page = client.get(reverse("portal:invoice", args=[notice.pk]))
    assert "20% off hosting this spring" in page.content.decode()
    response = client.post(reverse("portal:apply_coupon", args=[notice.pk]), {"code": "spring20"})
    assert response.status_code == 302
    notice.refresh_from_db()
    assert (notice.net_total, notice.vat_total, notice.total) == (
        D("80.00"),
        D("17.60"),
        D("97.60"),
    )
    assert notice.amount_due == D("97.60")
    assert notice.lines.get(net__lt=0).description == "Sconto SPRING20"  # the client reads Italian
    assert CouponUse.objects.get().discount == D("20.00")
    assert AuditEvent.objects.filter(action="coupon_applied", client=owner).count() == 1
    # A second coupon on the same invoice: a form error in the client's language.
    coupon("OTHER", kind="fixed", value="5")
    again = client.post(reverse("portal:apply_coupon", args=[notice.pk]), {"code": "OTHER"})
    assert again.status_code == 200
    assert "Questa fattura ha già un coupon." in again.content.decode()
    notice.refresh_from_db()
    assert notice.total == D("97.60")


def test_on_a_numbered_invoice_the_discount_is_a_credit_note(owner, hosting):
    invoice = actions.create_invoice(owner, [Line("Hosting", D("100.00"))], NOW, send=False)
    number = invoice.display_number
    coupon("FLAT10", kind="fixed", value="10")
    taken = actions.apply_coupon(invoice, "FLAT10", NOW)
    invoice.refresh_from_db()
    assert taken == D("12.20")
    assert invoice.display_number == number and invoice.total == D("122.00")  # unchanged
    note = invoice.credit_notes.get()
    assert note.total == D("12.20") and note.net_total == D("10.00")
    assert invoice.amount_due == D("109.80")


def test_coupons_that_do_not_apply_are_refused_with_their_reason(english, owner, hosting):
    other = make_product("mailbox", ProductType.MAILBOX, "10.00")
    service = make_service(owner, other)
    invoice = actions.create_invoice(owner, [Line("Mail", D("10"), service=service)], NOW)
    cases = {
        "NOPE": "This coupon is not valid.",
        "LATER": "This coupon is not valid.",
        "GONE": "This coupon is not valid.",
        "USED": "This coupon has been used up.",
        "HOSTONLY": "This coupon does not apply to anything on this invoice.",
    }
    coupon("LATER", valid_from=date(2026, 4, 1))
    coupon("GONE", valid_to=date(2026, 3, 9))
    coupon("USED", max_uses=3, uses=3)
    coupon("HOSTONLY", products=[hosting])
    for code, reason in cases.items():
        with pytest.raises(actions.ValidationError, match=reason):
            actions.apply_coupon(invoice, code, NOW)
    invoice.refresh_from_db()
    assert invoice.amount_due == D("12.20") and not CouponUse.objects.exists()


def test_once_per_client_and_the_last_use(english, owner, other_client):
    coupon("ONCE", kind="fixed", value="5", max_uses=2)
    first = actions.create_invoice(owner, [Line("A", D("50"))], NOW, send=False)
    second = actions.create_invoice(owner, [Line("B", D("50"))], NOW, send=False)
    third = actions.create_invoice(other_client, [Line("C", D("50"))], NOW, send=False)
    actions.apply_coupon(first, "ONCE", NOW)
    with pytest.raises(actions.ValidationError, match="already used this coupon"):
        actions.apply_coupon(second, "ONCE", NOW)
    actions.apply_coupon(third, "ONCE", NOW)
    late = make_client()
    fourth = actions.create_invoice(late, [Line("D", D("50"))], NOW, send=False)
    with pytest.raises(actions.ValidationError, match="used up"):
        actions.apply_coupon(fourth, "ONCE", NOW)
    assert Coupon.objects.get(code="ONCE").uses == 2


def test_a_coupon_never_turns_into_credit_on_an_invoice_paid_in_part(owner):
    invoice = actions.create_invoice(owner, [Line("Hosting", D("100.00"))], NOW, send=False)
    actions.record_payment(owner, D("100.00"), date(2026, 3, 10), invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.amount_due == D("22.00")
    coupon("HALF", value="50")
    taken = actions.apply_coupon(invoice, "HALF", NOW)
    invoice.refresh_from_db()
    assert taken <= D("22.00") and invoice.amount_due >= 0
    assert actions.credit_balance(owner) == 0


def test_renewal_invoices_take_only_coupons_for_renewals(english, owner, hosting):
    make_service(owner, hosting, name="olga.it", registered_on=date(2026, 1, 15))
    run_day(run_time(date(2027, 1, 5)))
    renewal = Invoice.objects.get(client=owner, purpose=Invoice.Purpose.RENEWAL)
    coupon("NEWONLY")
    coupon("LOYAL", value="10", renewals=True)
    now = datetime(2027, 1, 6, 9, tzinfo=ROME)
    with pytest.raises(actions.ValidationError, match="does not apply to renewals"):
        actions.apply_coupon(renewal, "NEWONLY", now)
    assert actions.apply_coupon(renewal, "LOYAL", now) == D("12.20")


def test_a_coupon_entered_before_the_renewal_discounts_the_next_renewal_only(
    client, owner, hosting
):
    service = make_service(owner, hosting, name="olga.it", registered_on=date(2026, 1, 15))
    coupon(
        "LOYAL", value="10", renewals=True, announced=True, products=[hosting],
        description="10% off your hosting renewal",
    )  # fmt: skip
    client.force_login(owner.owner)
    page = client.get(reverse("portal:service", args=[service.pk])).content.decode()
    assert "10% off your hosting renewal" in page
    response = client.post(
        reverse("portal:service", args=[service.pk]), {"action": "coupon", "code": "loyal"}
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.renewal_coupon.code == "LOYAL"

    run_day(run_time(date(2027, 1, 5)))  # the renewal invoice, ten days before expiry
    renewal = Invoice.objects.get(client=owner, purpose=Invoice.Purpose.RENEWAL)
    assert renewal.net_total == D("90.00") and renewal.total == D("109.80")
    assert CouponUse.objects.get().invoice == renewal
    service.refresh_from_db()
    assert service.renewal_coupon is None
    actions.record_payment(owner, renewal.amount_due, date(2027, 1, 10), invoice=renewal)
    run_day(run_time(date(2028, 1, 5)))  # the year after: full price again
    later = Invoice.objects.filter(purpose=Invoice.Purpose.RENEWAL).latest("pk")
    assert later.pk != renewal.pk and later.net_total == D("100.00")


def test_a_coupon_entered_on_a_service_whose_renewal_is_out_goes_on_that_invoice(
    client, owner, hosting
):
    service = make_service(owner, hosting, name="olga.it", registered_on=date(2026, 1, 15))
    run_day(run_time(date(2027, 1, 5)))
    renewal = Invoice.objects.get(client=owner, purpose=Invoice.Purpose.RENEWAL)
    coupon("LOYAL", kind="fixed", value="15", renewals=True)
    client.force_login(owner.owner)
    response = client.post(
        reverse("portal:service", args=[service.pk]), {"action": "coupon", "code": "LOYAL"}
    )
    assert response.url == reverse("portal:invoice", args=[renewal.pk])
    renewal.refresh_from_db()
    assert renewal.amount_due == D("122.00") - D("18.30")


def test_a_renewal_coupon_that_expired_in_the_meantime_gives_nothing(owner, hosting):
    service = make_service(owner, hosting, name="olga.it", registered_on=date(2026, 1, 15))
    service.renewal_coupon = coupon("SHORT", renewals=True, valid_to=date(2026, 12, 31))
    service.save()
    run_day(run_time(date(2027, 1, 5)))
    renewal = Invoice.objects.get(client=owner, purpose=Invoice.Purpose.RENEWAL)
    assert renewal.net_total == D("100.00") and not CouponUse.objects.exists()


def test_the_dashboard_announces_only_live_announced_coupons(client, owner):
    coupon("SHOWN", announced=True, description="Spring offer: 20% off")
    coupon("PRIVATE", description="For friends only")
    coupon("EXPIRED", announced=True, valid_to=date(2026, 1, 31), description="Old offer")
    coupon("SOLDOUT", announced=True, max_uses=1, uses=1, description="Sold out offer")
    client.force_login(owner.owner)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Spring offer: 20% off" in page
    for hidden in ("For friends only", "Old offer", "Sold out offer"):
        assert hidden not in page
