"""Properties that hold for any input: totals add up, the ledger is its entries, and no
invoice is ever paid beyond its total."""

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportello.billing import actions
from sportello.billing.actions import Line
from sportello.billing.models import CreditEntry, Invoice
from sportello.billing.pricing import totals, vat_breakdown
from sportello.core.money import cents
from sportello.testing import make_client

NOW = datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))
money = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
rates = st.sampled_from([D("22"), D("10"), D("4"), D("0"), D("21"), D("25.5")])
quantities = st.decimals(min_value=D("0.01"), max_value=D("1000"), places=2)


class FakeLine:
    def __init__(self, quantity, price, rate):
        self.vat_rate = rate
        self.net = cents(quantity * price)


@given(st.lists(st.tuples(quantities, money, rates), min_size=1, max_size=20))
def test_total_is_net_plus_vat_for_any_lines(specs):
    lines = [FakeLine(*spec) for spec in specs]
    net, vat, total = totals(lines)
    assert total == net + vat
    assert net == sum(line.net for line in lines)
    # Each rate's VAT is within half a cent of the exact figure on its net sum.
    for row in vat_breakdown(lines):
        assert abs(row["vat"] - row["net"] * row["rate"] / 100) <= D("0.005")


hypothesis_db = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.django_db
@hypothesis_db
@given(st.lists(st.tuples(st.sampled_from(["pay", "credit", "invoice"]), money), max_size=12))
def test_ledger_balance_is_the_sum_of_entries_and_never_negative(operations):
    client = make_client()
    invoices = []
    for kind, amount in operations:
        if kind == "pay":
            target = invoices[-1] if invoices else None
            actions.record_payment(client, amount, date(2026, 3, 12), invoice=target)
        elif kind == "invoice":
            invoices.append(actions.create_invoice(client, [Line("x", amount)], NOW, send=False))
        elif invoices:
            invoice = Invoice.objects.get(pk=invoices[-1].pk)
            available = min(actions.credit_balance(client), invoice.amount_due, amount)
            if available > 0 and invoice.status == Invoice.Status.OPEN:
                actions.apply_credit(client, invoice, available, NOW)
    entries = list(CreditEntry.objects.filter(client=client).values_list("amount", flat=True))
    assert actions.credit_balance(client) == sum(entries, D(0)) >= 0
    for invoice in Invoice.objects.filter(client=client):
        assert 0 <= invoice.paid_total <= invoice.total
        assert (invoice.status == Invoice.Status.PAID) == (invoice.amount_due == 0)


@pytest.mark.django_db
@hypothesis_db
@given(st.lists(money, min_size=1, max_size=6))
def test_no_invoice_is_ever_paid_twice(payments):
    client = make_client()
    invoice = actions.create_invoice(client, [Line("x", D("50.00"))], NOW, send=False)
    for amount in payments:
        actions.record_payment(client, amount, date(2026, 3, 12), invoice=invoice)
    invoice.refresh_from_db()
    paid = sum(payments, D(0))
    assert invoice.paid_total == min(paid, invoice.total)
    assert actions.credit_balance(client) == paid - invoice.paid_total
