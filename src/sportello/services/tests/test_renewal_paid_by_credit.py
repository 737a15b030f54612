"""A renewal invoice that the client's credit pays as it is issued renews the service."""

from datetime import date
from decimal import Decimal as D

import pytest

from sportello.automation.registry import run_day, run_time
from sportello.billing.models import CreditEntry, Invoice
from sportello.catalog.models import ProductType
from sportello.testing import make_product, make_service

pytestmark = pytest.mark.django_db


def test_credit_pays_the_renewal_at_issue_and_the_expiry_moves(owner):
    hosting = make_product("hosting-basic", ProductType.HOSTING, "49.00")
    service = make_service(owner, hosting, name="olga.it", registered_on=date(2026, 1, 15))
    CreditEntry.objects.create(client=owner, kind=CreditEntry.Kind.ADJUSTMENT, amount=D("100"))
    run_day(run_time(date(2027, 1, 5)))  # ten days before expiry
    invoice = Invoice.objects.get(client=owner, purpose=Invoice.Purpose.RENEWAL)
    assert invoice.status == Invoice.Status.PAID
    service.refresh_from_db()
    assert service.expires_on == date(2028, 1, 15)
    run_day(run_time(date(2027, 1, 6)))
    assert Invoice.objects.filter(client=owner, purpose=Invoice.Purpose.RENEWAL).count() == 1
