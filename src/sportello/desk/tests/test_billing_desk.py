"""The desk's billing pages: access, and each page driving its billing action end to end."""

import re
from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from sportello.accounts.models import User
from sportello.billing import actions
from sportello.billing.actions import Line
from sportello.billing.models import (
    BankEntry,
    Charge,
    Coupon,
    CreditEntry,
    Invoice,
    Payment,
    PaymentReport,
    Quote,
    StatementImport,
)
from sportello.testing import make_client, make_staff

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
IBAN = "IT60X0542811101000000123456"


# --- helpers ------------------------------------------------------------------------------


def issue(client, amount="100.00", **options):
    """An invoice of `amount` net (+22% VAT for an Italian client), not mailed."""
    lines = [Line("Hosting", D(amount))]
    return actions.create_invoice(client, lines, timezone.now(), send=False, **options)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def money(amount: str) -> re.Pattern:
    """An amount as the page shows it in any of our locales: 1.234,50 € or €1,234.50."""
    from django.utils import translation

    from sportello.core.formatting import format_money

    shown = set()
    for language in ("it", "en", "es"):
        with translation.override(language):
            shown.add(format_money(D(amount)))
    return re.compile("|".join(re.escape(text) for text in sorted(shown)))


def camt(*entries, statement_id="STMT-1") -> bytes:
    """A minimal CAMT.053.001.02 statement of credits: dicts of id, amount, and optionally
    ref (structured creditor reference), name (payer) and text (unstructured remittance)."""
    ntries = []
    for entry in entries:
        ref = (
            f"<Strd><CdtrRefInf><Ref>{entry['ref']}</Ref></CdtrRefInf></Strd>"
            if entry.get("ref")
            else ""
        )
        ntries.append(
            f"""<Ntry><NtryRef>{entry["id"]}</NtryRef><Amt Ccy="EUR">{entry["amount"]}</Amt>
            <CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
            <BookgDt><Dt>{entry.get("day", "2026-11-20")}</Dt></BookgDt>
            <AcctSvcrRef>{entry["id"]}</AcctSvcrRef>
            <NtryDtls><TxDtls>
              <RltdPties><Dbtr><Nm>{entry.get("name", "Someone Else")}</Nm></Dbtr></RltdPties>
              <RmtInf><Ustrd>{entry.get("text", "payment")}</Ustrd>{ref}</RmtInf>
            </TxDtls></NtryDtls></Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
  <BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-21T06:00:00</CreDtTm></GrpHdr>
    <Stmt><Id>{statement_id}</Id><Acct><Id><IBAN>{IBAN}</IBAN></Id></Acct>
      {"".join(ntries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def upload(client, data: bytes, name="statement.xml"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile(name, data, content_type="application/xml")
    return client.post(reverse("desk:statements"), {"file": file}, follow=True)


def invoice_post(client_obj, lines, **extra):
    """The new-invoice form's POST data: the management form, the lines, the rest."""
    data = {
        "client": str(client_obj.pk),
        "purpose": Invoice.Purpose.STANDARD,
        "coupon": "",
        "lines-TOTAL_FORMS": "5",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
    }
    for index, (description, quantity, price, *vat) in enumerate(lines):
        data[f"lines-{index}-description"] = description
        data[f"lines-{index}-quantity"] = quantity
        data[f"lines-{index}-unit_price"] = price
        data[f"lines-{index}-vat_rate"] = vat[0] if vat else ""
    data.update(extra)
    return data


@pytest.fixture
def desk(client, billing_staff):
    client.force_login(billing_staff)
    return client


# --- access -------------------------------------------------------------------------------


@pytest.fixture
def billing_objects(owner):
    invoice = issue(owner)
    quote = Quote.objects.create(client=owner, title="New site")
    return {"invoice": invoice, "quote": quote, "client": owner}


PAGES = [
    ("desk:invoices", None),
    ("desk:invoice_new", None),
    ("desk:invoice", "invoice"),
    ("desk:invoice_pdf", "invoice"),
    ("desk:payments", None),
    ("desk:statements", None),
    ("desk:payment_reports", None),
    ("desk:quotes", None),
    ("desk:quote_new", None),
    ("desk:quote", "quote"),
    ("desk:client_ledger", "client"),
]


@pytest.mark.parametrize("name,arg", PAGES)
def test_billing_pages_are_for_admins_and_billing_clerks(client, billing_objects, name, arg):
    url = reverse(name, args=[billing_objects[arg].pk] if arg else [])
    for role, status in [
        (User.Role.BILLING, 200),
        (User.Role.ADMIN, 200),
        (User.Role.AGENT, 403),
    ]:
        client.force_login(make_staff(role))
        assert client.get(url).status_code == status, (role, url)
    client.force_login(billing_objects["client"].owner)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


def test_agents_cannot_post_billing_actions(client, billing_objects):
    invoice = billing_objects["invoice"]
    report = actions.report_payment(
        invoice.client,
        invoice,
        {"bank": "B", "paid_on": date(2026, 1, 5), "receipt_number": "1", "amount": D("1")},
        timezone.now(),
    )
    client.force_login(make_staff(User.Role.AGENT))
    posts = [
        (reverse("desk:invoice", args=[invoice.pk]), {"action": "payment"}),
        (reverse("desk:payment_report_review", args=[report.pk]), {"decision": "approve"}),
        (reverse("desk:statement_entry_match", args=[1]), {"invoice": "1"}),
        (reverse("desk:client_ledger", args=[invoice.client_id]), {"description": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    report.refresh_from_db()
    assert report.status == PaymentReport.Status.PENDING


def test_billing_link_in_the_menu_only_for_billing_roles(client):
    link = f'href="{reverse("desk:invoices")}"'
    client.force_login(make_staff(User.Role.BILLING))
    assert link in page(client.get(reverse("desk:home")))
    client.force_login(make_staff(User.Role.ADMIN))
    assert link in page(client.get(reverse("desk:home")))
    client.force_login(make_staff(User.Role.AGENT))
    assert link not in page(client.get(reverse("desk:home")))


def test_client_page_has_a_billing_card_for_billing_roles(client, owner):
    invoice = issue(owner)
    actions.record_payment(owner, D("500.00"), date(2026, 1, 5))  # credit, no invoice
    client.force_login(make_staff(User.Role.BILLING))
    html = page(client.get(reverse("desk:client", args=[owner.pk])))
    assert 'class="card billing-card"' in html
    assert reverse("desk:invoice", args=[invoice.pk]) in html
    assert reverse("desk:client_ledger", args=[owner.pk]) in html
    assert f"{reverse('desk:invoice_new')}?client={owner.pk}" in html
    assert money("500.00").search(html)  # the credit balance
    assert money("122.00").search(html)  # still to pay
    client.force_login(make_staff(User.Role.AGENT))
    assert "billing-card" not in page(client.get(reverse("desk:client", args=[owner.pk])))


# --- invoices -----------------------------------------------------------------------------


def test_invoice_form_issues_gapless_numbers_and_mails_the_pdf(
    desk, owner, django_capture_on_commit_callbacks, deliver_outbox
):
    url = reverse("desk:invoice_new")
    assert page(desk.get(url, {"client": owner.pk})).count(owner.display_name) >= 1

    # A refused invoice (unknown coupon) shows the reason and takes no number.
    refused = desk.post(url, invoice_post(owner, [("Hosting", "1", "100.00")], coupon="NOPE"))
    assert refused.status_code == 200
    assert refused.context["form"].non_field_errors()
    assert not Invoice.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            url,
            invoice_post(owner, [("Hosting", "1", "100.00"), ("Domain", "2", "10.00", "0")]),
        )
    first = Invoice.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:invoice", args=[first.pk])
    assert first.status == Invoice.Status.OPEN
    assert first.number == 1 and first.year == timezone.localdate().year
    # 100 at the client's 22% and 20 at the 0% override.
    assert (first.net_total, first.vat_total, first.total) == (D("120"), D("22"), D("142"))
    assert [line.vat_rate for line in first.lines.all()] == [D("22"), D("0")]

    [message] = deliver_outbox(1)
    assert owner.contact_email in message["To"]
    [pdf] = list(message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == actions.pdf_filename(first)
    assert pdf.get_content().startswith(b"%PDF")

    desk.post(url, invoice_post(owner, [("Support", "3", "20.00")]))
    second = Invoice.objects.latest("id")
    assert second.number == 2
    detail = page(desk.get(reverse("desk:invoice", args=[first.pk])))
    assert first.display_number in detail and first.payment_reference in detail
    assert money("142.00").search(detail)


def test_invoice_form_with_coupon_and_pending_charges(desk, owner, billing_staff):
    Coupon.objects.create(code="SAVE10", kind="percent", value=10, valid_from=date(2020, 1, 1))
    actions.add_charge(owner, "Password recovery", D("15.00"), timezone.now())
    data = invoice_post(
        owner, [("Hosting", "1", "100.00")], coupon="save10", include_pending_charges="on"
    )
    response = desk.post(reverse("desk:invoice_new"), data)
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    lines = list(invoice.lines.all())
    assert [line.description for line in lines[:2]] == ["Hosting", "Password recovery"]
    # The coupon names no product, so it takes 10% off every line, the charge included.
    assert lines[2].net == D("-11.50") and "SAVE10" in lines[2].description
    assert invoice.net_total == D("103.50")
    assert Charge.objects.get().invoice_line.invoice == invoice


def test_invoice_form_without_lines_is_refused_on_the_form(desk, owner):
    response = desk.post(reverse("desk:invoice_new"), invoice_post(owner, []))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    unknown = desk.post(
        reverse("desk:invoice_new"), invoice_post(owner, [("X", "1", "1")], client="999999")
    )
    assert unknown.status_code == 200 and unknown.context["form"].errors["client"]
    assert not Invoice.objects.exists()


def test_invoice_list_filters(desk, owner, other_client):
    paid = issue(owner)
    actions.record_payment(owner, paid.total, date(2026, 1, 5), invoice=paid)
    open_one = issue(other_client)
    overdue = issue(other_client)
    Invoice.objects.filter(pk=overdue.pk).update(due_on=date(2020, 1, 1))
    note = actions.issue_credit_note(paid, timezone.now(), reason="Refund", amount=D("10.00"))

    def listed(**query):
        response = desk.get(reverse("desk:invoices"), query)
        return {invoice.pk for invoice in response.context["rows"]}

    assert listed() == {paid.pk, open_one.pk, overdue.pk, note.pk}
    assert listed(status="open") == {open_one.pk, overdue.pk}
    assert listed(status="paid") == {paid.pk, note.pk}
    assert listed(overdue="on") == {overdue.pk}
    assert listed(kind="credit_note") == {note.pk}
    assert listed(q="Olga") == {paid.pk, note.pk}
    assert listed(q="other@example") == {open_one.pk, overdue.pk}
    assert listed(q=f"{open_one.year}/{open_one.number:06d}") == {open_one.pk}
    html = page(desk.get(reverse("desk:invoices"), {"overdue": "on"}))
    assert "invoice-overdue" in html


def test_invoice_list_runs_a_constant_number_of_queries(desk, django_assert_max_num_queries):
    for n in range(3):
        issue(make_client(name=f"Few {n}"))
    with django_assert_max_num_queries(20) as few:
        desk.get(reverse("desk:invoices"))
    for n in range(30):
        issue(make_client(name=f"Many {n}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = desk.get(reverse("desk:invoices"))
    assert len(response.context["rows"]) == 33


def test_invoice_list_is_paginated_by_50(desk, owner):
    for _ in range(51):
        issue(owner, "1.00")
    first = desk.get(reverse("desk:invoices"), {"status": "open"})
    assert len(first.context["rows"]) == 50 and first.context["has_next"]
    assert "status=open&amp;page=2" in first.content.decode()
    second = desk.get(reverse("desk:invoices"), {"status": "open", "page": 2})
    assert len(second.context["rows"]) == 1 and not second.context["has_next"]


def test_pdf_download(desk, owner):
    invoice = issue(owner)
    response = desk.get(reverse("desk:invoice_pdf", args=[invoice.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert actions.pdf_filename(invoice) in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


# --- payments and credit --------------------------------------------------------------------


def payment_data(amount, **extra):
    data = {
        "action": "payment",
        "payment-received_on": "2026-01-05",
        "payment-amount": amount,
        "payment-currency": "EUR",
        "payment-method": Payment.Method.BANK_TRANSFER,
        "payment-reference": "CRO 123",
    }
    data.update(extra)
    return data


def test_record_payment_on_the_invoice_page(desk, owner, billing_staff):
    invoice = issue(owner)
    url = reverse("desk:invoice", args=[invoice.pk])
    form = desk.get(url).context["payment_form"]
    assert form.initial["amount"] == D("122.00") and form.initial["currency"] == "EUR"

    assert desk.post(url, payment_data("100.00")).status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN and invoice.amount_due == D("22.00")
    desk.post(
        url,
        payment_data(
            "22.00", **{"payment-method": Payment.Method.CHEQUE, "payment-reference": "CHQ 456"}
        ),
    )
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    payments = Payment.objects.filter(invoice=invoice)
    assert {p.recorded_by for p in payments} == {billing_staff}
    html = page(desk.get(url))
    assert "CRO 123" in html and "payment-form" not in html  # paid: no more payment form


def test_refused_payment_is_a_form_error_not_a_crash(desk, owner):
    invoice = issue(owner)
    url = reverse("desk:invoice", args=[invoice.pk])
    # No USD exchange rate was imported for the day: the action refuses.
    response = desk.post(url, payment_data("50.00", **{"payment-currency": "usd"}))
    assert response.status_code == 200
    assert "USD" in str(response.context["payment_form"].non_field_errors())
    bad = desk.post(url, payment_data("-5", **{"payment-currency": "EURO"}))
    assert set(bad.context["payment_form"].errors) == {"amount", "currency"}
    assert not Payment.objects.exists()


def test_overpayment_shows_as_credit_on_the_ledger(desk, owner):
    invoice = issue(owner)
    response = desk.post(
        reverse("desk:invoice", args=[invoice.pk]), payment_data("200.00"), follow=True
    )
    assert money("78.00").search(page(response))  # the message says what became credit
    ledger = desk.get(reverse("desk:client_ledger", args=[owner.pk]))
    assert ledger.context["balance"] == D("78.00")
    html = page(ledger)
    assert re.search(r'id="credit-balance">(?:' + money("78.00").pattern + ")", html)
    entry = CreditEntry.objects.get(client=owner)
    assert entry.kind == CreditEntry.Kind.OVERPAYMENT and entry.get_kind_display() in html


def test_payment_without_invoice_becomes_credit(desk, owner, billing_staff):
    url = reverse("desk:payments")
    assert desk.get(url, {"client": owner.pk}).context["form"]["client"].value() == owner.pk
    data = {
        "client": owner.contact_email,
        "received_on": "2026-01-05",
        "amount": "50",
        "currency": "EUR",
        "method": Payment.Method.BANK_TRANSFER,
        "reference": "advance",
    }
    assert desk.post(url, data).status_code == 302
    assert actions.credit_balance(owner) == D("50.00")
    payment = Payment.objects.get()
    assert payment.invoice is None and payment.recorded_by == billing_staff
    assert "advance" in page(desk.get(url))
    refused = desk.post(url, {**data, "client": "nobody@example.org"})
    assert refused.status_code == 200 and refused.context["form"].errors["client"]


# --- credit notes -----------------------------------------------------------------------------


def test_full_credit_note_cancels_an_open_invoice(desk, owner):
    invoice = issue(owner)
    url = reverse("desk:invoice", args=[invoice.pk])
    assert "credit-note-form" in page(desk.get(url))
    data = {"action": "credit_note", "credit-reason": "Wrong client", "credit-amount": ""}
    assert desk.post(url, data).status_code == 302
    invoice.refresh_from_db()
    note = invoice.credit_notes.get()
    assert invoice.status == Invoice.Status.CREDITED
    assert note.total == invoice.total and note.number == 1
    html = page(desk.get(url))
    assert note.display_number in html and "credit-note-form" not in html
    # The note's own page links back to what it corrects.
    note_page = page(desk.get(reverse("desk:invoice", args=[note.pk])))
    assert reverse("desk:invoice", args=[invoice.pk]) in note_page


def test_partial_credit_note_on_a_paid_invoice_becomes_credit(desk, owner):
    invoice = issue(owner)
    actions.record_payment(owner, invoice.total, date(2026, 1, 5), invoice=invoice)
    url = reverse("desk:invoice", args=[invoice.pk])
    too_much = desk.post(
        url, {"action": "credit_note", "credit-reason": "Refund", "credit-amount": "500"}
    )
    assert too_much.status_code == 200
    assert too_much.context["credit_form"].non_field_errors()
    assert not invoice.credit_notes.exists()
    desk.post(url, {"action": "credit_note", "credit-reason": "Refund", "credit-amount": "12.20"})
    note = invoice.credit_notes.get()
    assert note.total == D("12.20")
    assert actions.credit_balance(owner) == D("12.20")
    ledger = page(desk.get(reverse("desk:client_ledger", args=[owner.pk])))
    assert note.display_number in ledger


# --- bank statements ------------------------------------------------------------------------------


def test_statement_upload_pays_the_invoice_once(desk, owner):
    invoice = issue(owner)
    data = camt({"id": "BANK-1", "amount": "122.00", "ref": invoice.payment_reference})
    response = upload(desk, data)
    html = page(response)
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    record = StatementImport.objects.get()
    assert (record.new_entries, record.matched) == (1, 1)
    assert "statement.xml" in html and "msg-success" in html

    again = page(upload(desk, data))
    assert Payment.objects.count() == 1 and BankEntry.objects.count() == 1
    assert StatementImport.objects.latest("id").new_entries == 0
    assert "msg-info" in again


def test_a_refused_statement_imports_nothing(desk, owner):
    invoice = issue(owner)
    good = camt({"id": "BANK-1", "amount": "122.00", "ref": invoice.payment_reference})
    broken = good.replace(b'<Amt Ccy="EUR">122.00</Amt>', b'<Amt Ccy="EUR">12X.00</Amt>')
    response = upload(desk, broken)
    html = page(response)
    [error] = response.context["form"].errors["file"]
    assert error.count("\n") == 0 and "12X.00" in error
    assert escape(error) in html
    for junk in [b"date;amount\n2026-01-01;10\n", b"<Document><oops"]:
        assert upload(desk, junk, "junk.csv").context["form"].errors["file"]
    assert not StatementImport.objects.exists() and not BankEntry.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN


def test_unmatched_credit_is_matched_by_hand(desk, owner):
    invoice = issue(owner)
    upload(desk, camt({"id": "BANK-9", "amount": "122.00", "text": "bonifico hosting"}))
    entry = BankEntry.objects.get()
    assert entry.status == BankEntry.Status.UNMATCHED
    html = page(desk.get(reverse("desk:statements")))
    assert f'id="entry-{entry.pk}"' in html and "bonifico hosting" in html
    url = reverse("desk:statement_entry_match", args=[entry.pk])
    assert desk.get(url).status_code == 405

    wrong = page(desk.post(url, {"invoice": "1999/000001"}, follow=True))
    assert "msg-error" in wrong
    entry.refresh_from_db()
    assert entry.status == BankEntry.Status.UNMATCHED

    number = f"{invoice.year}/{invoice.number:06d}"
    page(desk.post(url, {"invoice": number}, follow=True))
    entry.refresh_from_db()
    invoice.refresh_from_db()
    assert entry.status == BankEntry.Status.MATCHED and entry.invoice == invoice
    assert invoice.status == Invoice.Status.PAID
    assert f'id="entry-{entry.pk}"' not in page(desk.get(reverse("desk:statements")))
    # Matching it again is refused with the action's reason.
    again = page(desk.post(url, {"invoice": str(invoice.pk)}, follow=True))
    assert "msg-error" in again and Payment.objects.count() == 1


def test_suggested_match_is_confirmed(desk, owner):
    invoice = issue(owner)
    upload(desk, camt({"id": "BANK-5", "amount": "122.00", "name": "OLGA OWNER", "text": "x"}))
    entry = BankEntry.objects.get()
    assert entry.status == BankEntry.Status.SUGGESTED and entry.invoice == invoice
    html = page(desk.get(reverse("desk:statements")))
    assert 'name="confirm"' in html
    desk.post(reverse("desk:statement_entry_match", args=[entry.pk]), {"confirm": "1"})
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID


# --- payment reports ----------------------------------------------------------------------------


def report_on(invoice, now, amount="122.00"):
    data = {
        "bank": "Banca Sella",
        "branch": "Biella",
        "paid_on": timezone.localdate(now),
        "receipt_number": "CRO-777",
        "amount": D(amount),
    }
    return actions.report_payment(invoice.client, invoice, data, now)


def test_review_queue_approve_pays_the_invoice(desk, owner, billing_staff):
    invoice = issue(owner)
    # Friday 20 November 2026 after the 17:00 cut-off: reviewed on Monday.
    late = datetime(2026, 11, 20, 18, 30, tzinfo=ROME)
    with time_machine.travel(late, tick=False):
        report = report_on(invoice, late)
    assert report.review_on == date(2026, 11, 23)
    response = desk.get(reverse("desk:payment_reports"))
    [listed] = response.context["pending"]
    assert listed.next_day
    html = page(response)
    for text in ["Banca Sella", "Biella", "CRO-777", invoice.display_number, owner.display_name]:
        assert text in html

    url = reverse("desk:payment_report_review", args=[report.pk])
    assert desk.post(url, {"decision": "approve"}).status_code == 302
    invoice.refresh_from_db()
    report.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert report.status == PaymentReport.Status.APPROVED and report.reviewed_by == billing_staff
    assert report.payment.recorded_by == billing_staff
    # A second click is refused with a message, not an error page.
    again = page(desk.post(url, {"decision": "approve"}, follow=True))
    assert "msg-error" in again and Payment.objects.count() == 1


def test_review_queue_reject(desk, owner):
    invoice = issue(owner)
    report = report_on(invoice, timezone.now())
    desk.post(reverse("desk:payment_report_review", args=[report.pk]), {"decision": "reject"})
    report.refresh_from_db()
    invoice.refresh_from_db()
    assert report.status == PaymentReport.Status.REJECTED
    assert invoice.status == Invoice.Status.OPEN
    assert not desk.get(reverse("desk:payment_reports")).context["pending"]


def test_review_queue_is_ordered_by_review_day(desk, owner):
    invoice = issue(owner)
    with time_machine.travel(datetime(2026, 11, 20, 18, 30, tzinfo=ROME), tick=False):
        monday = report_on(invoice, timezone.now(), "10.00")
    with time_machine.travel(datetime(2026, 11, 20, 9, 0, tzinfo=ROME), tick=False):
        friday = report_on(invoice, timezone.now(), "20.00")
    pending = desk.get(reverse("desk:payment_reports")).context["pending"]
    assert [r.pk for r in pending] == [friday.pk, monday.pk]
    assert [r.next_day for r in pending] == [False, True]


# --- quotes --------------------------------------------------------------------------------------


def test_quote_created_sent_accepted_delivered_and_balance_invoiced(desk, owner, inbox):
    data = {
        "client": str(owner.pk),
        "title": "New shop",
        "notes": "Design and setup",
        "deposit_percent": "30",
        "valid_until": "",
        "lines-TOTAL_FORMS": "5",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-description": "Design",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "700.00",
        "lines-1-description": "Setup hours",
        "lines-1-quantity": "3",
        "lines-1-unit_price": "100.00",
    }
    empty = desk.post(
        reverse("desk:quote_new"),
        {**data, "lines-0-description": "", "lines-0-quantity": "", "lines-0-unit_price": "",
         "lines-1-description": "", "lines-1-quantity": "", "lines-1-unit_price": ""},
    )  # fmt: skip
    assert empty.status_code == 200 and empty.context["form"].non_field_errors()
    response = desk.post(reverse("desk:quote_new"), data)
    quote = Quote.objects.get()
    assert response["Location"] == reverse("desk:quote", args=[quote.pk])
    assert quote.status == Quote.Status.DRAFT and quote.net_total == D("1000.00")
    assert [line.net for line in quote.lines.all()] == [D("700.00"), D("300.00")]
    url = reverse("desk:quote", args=[quote.pk])
    assert 'value="send"' in page(desk.get(url))

    desk.post(url, {"action": "send"})
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    assert owner.emails.filter(template="quote_sent").exists()

    deposit = actions.accept_quote(quote, timezone.now())
    assert deposit.net_total == D("300.00")
    html = page(desk.get(url))
    assert 'value="deliver"' in html and deposit.display_number in html

    desk.post(url, {"action": "deliver"})
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DELIVERED
    balance = quote.balance_invoice
    assert balance.purpose == Invoice.Purpose.BALANCE and balance.net_total == D("700.00")
    html = page(desk.get(url))
    assert balance.display_number in html and 'value="deliver"' not in html
    # Asking twice issues nothing more.
    desk.post(url, {"action": "deliver"})
    assert Invoice.objects.filter(purpose=Invoice.Purpose.BALANCE).count() == 1
    listed = page(desk.get(reverse("desk:quotes")))
    assert "New shop" in listed and balance.display_number in listed


def test_sending_an_empty_quote_is_refused_with_a_message(desk, owner):
    quote = Quote.objects.create(client=owner, title="Empty")
    response = desk.post(reverse("desk:quote", args=[quote.pk]), {"action": "send"}, follow=True)
    assert "msg-error" in page(response)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT


def test_quote_list_runs_a_constant_number_of_queries(desk, django_assert_max_num_queries):
    for n in range(3):
        Quote.objects.create(client=make_client(name=f"Q {n}"), title=f"Quote {n}")
    with django_assert_max_num_queries(20) as few:
        desk.get(reverse("desk:quotes"))
    for n in range(10):
        quote = Quote.objects.create(client=make_client(name=f"More {n}"), title=f"More {n}")
        quote.lines.create(description="x", unit_price=1, net=1)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = desk.get(reverse("desk:quotes"))
    assert len(response.context["rows"]) == 13


# --- the ledger and extra charges -----------------------------------------------------------------


def test_extra_charge_waits_for_the_next_invoice_or_is_invoiced_now(desk, owner, billing_staff):
    url = reverse("desk:client_ledger", args=[owner.pk])
    desk.post(url, {"description": "Password recovery", "amount": "15.00"})
    charge = Charge.objects.get()
    assert charge.invoice_line is None and charge.created_by == billing_staff
    html = page(desk.get(url))
    assert "Password recovery" in html and money("15.00").search(html)

    response = desk.post(
        url, {"description": "Restore from backup", "amount": "40.00", "invoice_now": "on"}
    )
    assert response.status_code == 302
    invoice = Invoice.objects.get()
    # Invoicing now takes this charge only; the earlier one waits for the next invoice.
    assert invoice.net_total == D("40.00") and invoice.status == Invoice.Status.OPEN
    assert list(Charge.objects.filter(invoice_line__isnull=True)) == [charge]
    assert invoice.display_number in page(desk.get(url))
    refused = desk.post(url, {"description": "", "amount": "0"})
    assert set(refused.context["form"].errors) == {"description", "amount"}


def test_amounts_beyond_what_the_columns_hold_are_form_errors(desk, owner):
    url = reverse("desk:invoice_new")
    too_big = desk.post(url, invoice_post(owner, [("Server farm", "1000", "99999999.99")]))
    assert too_big.status_code == 200 and "999,999,999.99" in page(too_big)
    summed = desk.post(
        url, invoice_post(owner, [("A", "1", "600000000.00"), ("B", "1", "600000000.00")])
    )
    assert summed.status_code == 200 and "999,999,999.99" in page(summed)
    assert not Invoice.objects.exists()

    payments = reverse("desk:payments")
    data = {"client": owner.contact_email, "received_on": "2026-01-05", "currency": "EUR",
            "method": Payment.Method.BANK_TRANSFER, "reference": ""}  # fmt: skip
    for amount in ("99999999999.99", "0.001", "0.004"):
        response = desk.post(payments, {**data, "amount": amount})
        assert response.status_code == 200 and response.context["form"].errors, amount
    assert not Payment.objects.exists()


def test_a_payment_below_one_cent_is_refused_by_the_action(owner):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.record_payment(owner, D("0.004"), date(2026, 1, 5))
    assert not Payment.objects.exists()


# --- payment reports cannot create money (BIL-8) -----------------------------------------


REPORT = {"bank": "Intesa", "branch": "Milano 12", "paid_on": "2026-11-19",
          "receipt_number": "CRO 0001"}  # fmt: skip


def test_a_mistyped_report_is_questioned_by_the_client_form_and_the_queue(desk, owner):
    from django.test import Client

    invoice = issue(owner, "49.00")  # 59.78 with VAT
    client = Client()
    client.force_login(owner.owner)
    url = reverse("portal:report_payment", args=[invoice.pk])
    typo = client.post(url, {**REPORT, "amount": "5000.00"})
    assert typo.status_code == 200 and typo.context["form"].errors["confirm_amount"]
    assert not PaymentReport.objects.exists()
    client.post(url, {**REPORT, "amount": "5000.00", "confirm_amount": "on"})
    report = PaymentReport.objects.get()

    queue = page(desk.get(reverse("desk:payment_reports")))
    assert money("4940.22").search(queue)  # the difference is shown
    review = reverse("desk:payment_report_review", args=[report.pk])
    desk.post(review, {"decision": "approve", "received": "5000.00"})
    assert not Payment.objects.exists()  # a different amount needs confirming
    # The clerk finds 59.78 on the bank statement and approves that.
    desk.post(review, {"decision": "approve", "received": "59.78", "confirmed": "1"})
    invoice.refresh_from_db()
    report.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert (report.status, report.received_amount) == ("approved", D("59.78"))
    assert actions.credit_balance(owner) == D("0.00")
    # A second click approves nothing more.
    desk.post(review, {"decision": "approve", "received": "59.78", "confirmed": "1"})
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("paid_by", ["statement", "manual", "credit"])
def test_a_report_on_an_invoice_paid_another_way_is_closed_and_credits_nothing(
    desk, owner, paid_by
):
    invoice = issue(owner)  # 122.00
    report = actions.report_payment(
        owner, invoice, {**REPORT, "paid_on": date(2026, 11, 19), "amount": D("122.00")},
        timezone.now(),
    )  # fmt: skip
    if paid_by == "statement":
        upload(desk, camt({"id": "BANK-9", "amount": "122.00", "ref": invoice.payment_reference}))
    elif paid_by == "manual":
        actions.record_payment(owner, D("122.00"), date(2026, 11, 20), invoice=invoice)
    else:
        actions.record_payment(owner, D("500.00"), date(2026, 11, 20))
        actions.apply_credit(owner, invoice, D("122.00"), timezone.now())
    report.refresh_from_db()
    assert report.status == PaymentReport.Status.ALREADY_PAID
    before = actions.credit_balance(owner)
    review = reverse("desk:payment_report_review", args=[report.pk])
    desk.post(review, {"decision": "approve", "received": "122.00"})
    assert actions.credit_balance(owner) == before
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert "already_paid" in page(desk.get(reverse("desk:payment_reports")))


def test_a_bank_reference_recorded_twice_asks_for_confirmation(desk, owner):
    data = {
        "received_on": "2026-11-20",
        "amount": "50.00",
        "currency": "EUR",
        "method": Payment.Method.BANK_TRANSFER,
        "reference": "TRN-77",
    }
    actions.record_payment(owner, D("50.00"), date(2026, 11, 20), reference="TRN-77")
    again = desk.post(reverse("desk:payments"), {**data, "client": owner.contact_email})
    assert again.status_code == 200 and again.context["form"].errors["confirm_reference"]
    assert Payment.objects.count() == 1
    desk.post(
        reverse("desk:payments"),
        {**data, "client": owner.contact_email, "confirm_reference": "on"},
    )
    assert Payment.objects.count() == 2
