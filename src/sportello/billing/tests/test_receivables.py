"""A payment notice (pro-forma) is a request to pay, not an invoice: the desk does not count it
among the invoices to collect, nor among the overdue ones, and names it apart."""

from datetime import datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.billing import actions
from sportello.billing.actions import Line
from sportello.billing.models import BillingSettings, Invoice
from sportello.testing import User, make_staff

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def invoice_and_notice(owner):
    long_ago = timezone.now().astimezone(ROME) - timedelta(days=60)
    invoice = actions.create_invoice(owner, [Line("Hosting", D("100.00"))], long_ago, send=False)
    BillingSettings.objects.update_or_create(pk=1, defaults={"numbering": "at_payment"})
    notice = actions.create_invoice(owner, [Line("Domain", D("10.00"))], long_ago, send=False)
    assert invoice.number and notice.is_payment_notice
    return invoice, notice


def test_receivables_leave_out_payment_notices(invoice_and_notice):
    invoice, notice = invoice_and_notice
    assert list(Invoice.objects.receivable()) == [invoice]
    assert list(Invoice.objects.notices_to_pay()) == [notice]
    totals = Invoice.objects.receivable().amounts_due()
    assert totals == {"count": 1, "due": D("122.00"), "overdue": 1}


def test_the_desk_counts_invoices_to_collect_and_names_notices_apart(
    client, billing_staff, invoice_and_notice
):
    billing_staff.language = "en"
    billing_staff.save()
    client.force_login(billing_staff)
    page = client.get(reverse("desk:invoices")).content.decode().replace("\xa0", " ")
    assert "1 open invoice, €122.00 to collect, 1 overdue." in page
    assert "1 payment notice waiting for payment (€12.20)." in page
    client.force_login(make_staff(User.Role.ADMIN))
    overview = client.get(reverse("desk:overview")).content.decode().replace("\xa0", " ")
    assert '<span class="figure">1</span>' in overview and "122,00 €" in overview


def test_a_notice_once_paid_is_neither(invoice_and_notice, owner):
    _invoice, notice = invoice_and_notice
    actions.record_payment(owner, D("12.20"), datetime(2026, 3, 1).date(), invoice=notice)
    assert not Invoice.objects.notices_to_pay().exists()
    assert Invoice.objects.receivable().count() == 1
