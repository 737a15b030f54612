"""The same invoice paid by card and by a bank statement import at the same moment: one
payment settles it; the other becomes credit, or waits for staff when the statement is read
after the card payment; never a negative or doubled balance. Runs on
SQLite and, in the PostgreSQL pass, on PostgreSQL."""

import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from sportello.billing import reconcile
from sportello.billing.models import BankEntry, CreditEntry, Invoice, Payment
from sportello.desk.tests.test_billing_desk import camt
from sportello.payments import actions

from .conftest import open_invoice
from .test_stripe import urls


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_card_and_statement_at_once_pay_once_and_the_rest_is_credit(
    payment_settings, standin, customer, round_
):
    invoice = open_invoice(customer)  # 122.00
    checkout = actions.start_checkout(customer, [invoice], "stripe:card", timezone.now(), urls)
    standin.complete_session(checkout.session_id)
    statement = camt(
        {"id": f"E-{round_}", "amount": "122.00", "ref": invoice.payment_reference,
         "name": "Carla Clienti"}
    )  # fmt: skip
    barrier = threading.Barrier(2)
    errors = []

    def by_card():
        try:
            barrier.wait()
            actions.sync_checkout(checkout, timezone.now())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    def by_statement():
        try:
            barrier.wait()
            reconcile.import_statement(statement, "statement.xml", timezone.now())
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=by_card), threading.Thread(target=by_statement)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_total == Decimal("122.00")
    payments = Payment.objects.filter(client=customer)
    assert sum(p.applied_to_invoice for p in payments) == Decimal("122.00")
    balance = sum(e.amount for e in CreditEntry.objects.filter(client=customer))
    if payments.count() == 2:  # the statement matched the invoice while it was still open
        assert balance == Decimal("122.00")  # the second payment, whole, as credit
    else:
        # The card was paid first: a reference to a paid invoice matches nothing, and the
        # credit waits for staff among the unmatched entries, with nothing applied twice.
        assert payments.count() == 1 and balance == 0
        entry = BankEntry.objects.get(entry_id=f"E-{round_}")
        assert entry.status in (BankEntry.Status.UNMATCHED, BankEntry.Status.SUGGESTED)
        assert entry.payment is None
