"""A small known data set, every figure of which the tests work out by hand.

Today is Monday 15 June 2026 in Rome. Client A is Italian, client B German.
- F1 (A, 10 March): hosting 100.00 + domain 10.05 at 22% → VAT 24.21 (on the sum), open,
  due 16 May: 30 days late, the last day of the 1–30 bucket; credited 24.40 by NC1.
- F2 (B, 20 March): hosting 50.00 at 19% → VAT 9.50, paid.
- NC1 (A, 5 April): credit note on F1, hosting 20.00 at 22% → VAT 4.40.
- F3 (A, 1 February): hosting 30.00 at 22% → 6.60, open, due 15 May: 31 days late.
- F4 (A, 1 June): a fee with no service, 10.00 at 22% → 2.20, open, due today: not due.
- a payment notice (pro-forma, no number) of 999.00, long overdue: counted nowhere.
"""

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine

from sportello.billing.models import Invoice, InvoiceLine
from sportello.catalog.models import ProductType
from sportello.reports import sales
from sportello.testing import make_client, make_product, make_service

ROME = ZoneInfo("Europe/Rome")
TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 10, 0, tzinfo=ROME)


@pytest.fixture
def today():
    with time_machine.travel(NOW, tick=False):
        yield TODAY


_numbers = iter(range(1, 1000))


def document(client, day, lines, *, country="IT", kind=Invoice.Kind.INVOICE,
             status=Invoice.Status.PAID, due_on=None, numbered=True, credited=D("0"),
             corrects=None):  # fmt: skip
    from sportello.billing.pricing import totals

    invoice = Invoice.objects.create(
        client=client, kind=kind, status=status, issued_on=day, due_on=due_on,
        series="NC" if kind == Invoice.Kind.CREDIT_NOTE else "F",
        year=day.year if numbered else None, number=next(_numbers) if numbered else None,
        numbered_on=day if numbered else None, billing_country=country,
        billing_name=client.display_name, corrects=corrects,
    )  # fmt: skip
    made = [
        InvoiceLine.objects.create(invoice=invoice, description="x", service=service,
                                   unit_price=net, vat_rate=rate, net=net, position=n)
        for n, (net, rate, service) in enumerate(lines)
    ]  # fmt: skip
    invoice.net_total, invoice.vat_total, invoice.total = totals(made)
    invoice.credited_total = credited
    invoice.paid_total = invoice.total - credited if status == Invoice.Status.PAID else D("0")
    invoice.save()
    if numbered:  # as the numbering action's signal does
        sales.add_documents([invoice.pk])
    return invoice


@pytest.fixture
def books(db):
    a = make_client("a@example.org", name="Alfa Srl")
    b = make_client("b@example.org", name="Beta GmbH")
    hosting = make_service(a, make_product("hosting-x", ProductType.HOSTING, "100.00"))
    domain = make_service(a, make_product("domain-x", ProductType.DOMAIN, "10.05"))
    f1 = document(
        a,
        date(2026, 3, 10),
        [(D("100.00"), D("22"), hosting), (D("10.05"), D("22"), domain)],
        status=Invoice.Status.OPEN,
        due_on=date(2026, 5, 16),
        credited=D("24.40"),
    )
    f2 = document(b, date(2026, 3, 20), [(D("50.00"), D("19"), hosting)], country="DE")
    nc1 = document(a, date(2026, 4, 5), [(D("20.00"), D("22"), hosting)],
                   kind=Invoice.Kind.CREDIT_NOTE, corrects=f1)  # fmt: skip
    f3 = document(a, date(2026, 2, 1), [(D("30.00"), D("22"), hosting)],
                  status=Invoice.Status.OPEN, due_on=date(2026, 5, 15))  # fmt: skip
    f4 = document(a, date(2026, 6, 1), [(D("10.00"), D("22"), None)],
                  status=Invoice.Status.OPEN, due_on=date(2026, 6, 15))  # fmt: skip
    notice = document(
        a,
        date(2026, 3, 15),
        [(D("999.00"), D("22"), hosting)],
        status=Invoice.Status.OPEN,
        due_on=date(2026, 1, 1),
        numbered=False,
    )
    return {"a": a, "b": b, "hosting": hosting, "domain": domain, "f1": f1, "f2": f2,
            "nc1": nc1, "f3": f3, "f4": f4, "notice": notice}  # fmt: skip
