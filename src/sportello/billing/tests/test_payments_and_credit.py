from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sportello.billing import actions
from sportello.billing.actions import Line
from sportello.billing.models import (
    BillingSettings,
    CreditEntry,
    ExchangeRate,
    Invoice,
    Payment,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Europe/Rome"))
DAY = date(2026, 3, 12)


def invoice_for(client, amount="100.00", **options):
    return actions.create_invoice(client, [Line("Hosting", D(amount))], NOW, send=False, **options)


def balance(client):
    return actions.credit_balance(client)


def test_exact_payment_settles_the_invoice(owner):
    invoice = invoice_for(owner)
    payment = actions.record_payment(owner, D("122.00"), DAY, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and invoice.paid_on == DAY
    assert payment.applied_to_invoice == D("122.00")
    assert balance(owner) == 0


def test_partial_payments_then_overpayment_becomes_credit(owner):
    invoice = invoice_for(owner)
    actions.record_payment(owner, D("100.00"), DAY, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN and invoice.amount_due == D("22.00")
    actions.record_payment(owner, D("30.00"), DAY, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert balance(owner) == D("8.00")
    assert CreditEntry.objects.get(client=owner).kind == CreditEntry.Kind.OVERPAYMENT


def test_a_paid_invoice_is_never_paid_twice(owner):
    invoice = invoice_for(owner)
    actions.record_payment(owner, D("122.00"), DAY, invoice=invoice)
    second = actions.record_payment(owner, D("122.00"), DAY, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.paid_total == D("122.00")
    assert second.applied_to_invoice == 0
    assert balance(owner) == D("122.00")
    # The database refuses it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(paid_total=D("244.00"))


def test_payment_in_another_currency_is_converted_at_the_days_rate(owner):
    ExchangeRate.objects.create(day=date(2026, 3, 11), currency="USD", rate=D("1.0850"))
    invoice = invoice_for(owner)
    # Paid on a Thursday; the last rate published before it is used.
    payment = actions.record_payment(owner, D("132.37"), DAY, invoice=invoice, currency="usd")
    assert payment.amount == D("122.00")  # 132.37 / 1.085 = 121.999…
    assert (payment.original_amount, payment.original_currency) == (D("132.37"), "USD")
    assert payment.exchange_rate == D("1.085")
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


def test_no_rate_no_conversion(owner):
    with pytest.raises(ValidationError) as error:
        actions.record_payment(owner, D("10"), DAY, currency="GBP")
    assert "GBP" in error.value.messages[0]
    assert not Payment.objects.exists()


def test_client_applies_part_of_the_credit(owner):
    actions.record_payment(owner, D("50.00"), DAY)  # no invoice: all credit
    BillingSettings.objects.update_or_create(pk=1, defaults={"auto_apply_credit": False})
    invoice = invoice_for(owner)
    actions.apply_credit(owner, invoice, D("30.00"), NOW)
    invoice.refresh_from_db()
    assert invoice.amount_due == D("92.00")
    assert balance(owner) == D("20.00")
    with pytest.raises(ValidationError):
        actions.apply_credit(owner, invoice, D("25.00"), NOW)  # more than the balance
    with pytest.raises(ValidationError):
        actions.apply_credit(owner, invoice, D("0"), NOW)
    assert balance(owner) == D("20.00")


def test_credit_cannot_be_applied_to_another_clients_invoice(owner, other_client):
    actions.record_payment(owner, D("50.00"), DAY)
    theirs = invoice_for(other_client)
    with pytest.raises(Invoice.DoesNotExist):
        actions.apply_credit(owner, theirs, D("10.00"), NOW)


def test_credit_is_applied_automatically_to_the_next_invoice(owner):
    actions.record_payment(owner, D("50.00"), DAY)
    invoice = invoice_for(owner)
    assert invoice.amount_due == D("72.00")
    assert balance(owner) == 0
    small = invoice_for(owner, "10.00")
    assert small.amount_due == D("12.20")  # nothing left to apply


def test_add_funds_then_pay_the_notice_gives_credit(owner):
    notice = actions.add_funds(owner, D("100.00"), NOW)
    notice.refresh_from_db()
    assert notice.total == D("100.00") and notice.vat_total == 0
    assert notice.number is None and notice.is_payment_notice
    actions.record_payment(owner, D("100.00"), DAY, invoice=notice)
    notice.refresh_from_db()
    assert notice.status == Invoice.Status.PAID and notice.number is None
    assert balance(owner) == D("100.00")


def test_full_credit_note_cancels_an_open_invoice(owner):
    invoice = invoice_for(owner)
    note = actions.issue_credit_note(invoice, NOW, reason="Wrong plan")
    invoice.refresh_from_db()
    assert note.display_number == "NC 2026/000001"
    assert note.total == D("122.00") and note.corrects == invoice
    assert invoice.status == Invoice.Status.CREDITED and invoice.amount_due == 0
    with pytest.raises(ValidationError):
        actions.issue_credit_note(invoice, NOW, reason="again")


def test_partial_credit_note_on_a_paid_invoice_becomes_credit(owner):
    invoice = invoice_for(owner)
    actions.record_payment(owner, D("122.00"), DAY, invoice=invoice)
    note = actions.issue_credit_note(invoice, NOW, reason="Discount", amount=D("24.40"))
    assert (note.net_total, note.vat_total, note.total) == (D("20.00"), D("4.40"), D("24.40"))
    assert balance(owner) == D("24.40")
    with pytest.raises(ValidationError):
        actions.issue_credit_note(invoice, NOW, reason="Too much", amount=D("100.00"))


def test_partial_credit_note_on_an_open_invoice_lowers_what_is_due(owner):
    invoice = invoice_for(owner)
    actions.issue_credit_note(invoice, NOW, reason="Discount", amount=D("22.00"))
    invoice.refresh_from_db()
    assert invoice.amount_due == D("100.00") and invoice.status == Invoice.Status.OPEN
    actions.record_payment(owner, D("100.00"), DAY, invoice=invoice)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID and balance(owner) == 0


def test_repeat_late_payers_are_flagged(owner):
    today = date(2026, 6, 1)
    paid_in_time = invoice_for(owner)  # due 25 March
    actions.record_payment(owner, D("122.00"), date(2026, 3, 20), invoice=paid_in_time)
    assert not actions.is_repeat_late_payer(owner, today)
    late = invoice_for(owner)
    actions.record_payment(owner, D("122.00"), date(2026, 4, 2), invoice=late)
    assert actions.late_payments(owner, today) == 1
    invoice_for(owner)  # still open, overdue since 25 March
    assert actions.late_payments(owner, today) == 2
    assert actions.is_repeat_late_payer(owner, today)
    # A year later they no longer count.
    assert actions.late_payments(owner, date(2027, 4, 1)) == 0
