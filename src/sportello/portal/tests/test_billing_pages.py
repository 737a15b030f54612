"""The client area's billing pages: invoices, payment reports, credit, funds and quotes.

Every page is reached through the owner's querysets: the owner sees it, another client and
a staff member get 404. Texts are asserted in English (the user's language is set to "en")."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from sportello.billing import actions
from sportello.billing.models import BillingSettings, Invoice, PaymentReport, Quote, QuoteLine
from sportello.testing import make_staff

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")


def hosting_invoice(client, now=None, **options) -> Invoice:
    options.setdefault("send", False)
    lines = [actions.Line("Hosting Pro", Decimal("99.00"))]
    return actions.create_invoice(client, lines, now or timezone.now(), **options)


def sent_quote(client, *, net=Decimal("1000.00"), deposit=Decimal("30")) -> Quote:
    quote = Quote.objects.create(client=client, title="New website", deposit_percent=deposit)
    QuoteLine.objects.create(quote=quote, description="Design", unit_price=net, net=net)
    return actions.send_quote(quote)


def english(client):
    client.owner.language = "en"
    client.owner.save()
    return client.owner


@pytest.fixture
def invoice(owner):
    return hosting_invoice(owner)


@pytest.fixture
def quote(owner):
    return sent_quote(owner)


@pytest.fixture
def urls(invoice, quote):
    """The billing URLs: the client's own lists, pages of one object, POST endpoints."""
    return {
        "lists": [
            reverse("portal:invoices"),
            reverse("portal:invoices") + "?show=all",
            reverse("portal:add_funds"),
            reverse("portal:quotes"),
        ],
        "objects": [
            reverse("portal:invoice", args=[invoice.pk]),
            reverse("portal:invoice_pdf", args=[invoice.pk]),
            reverse("portal:report_payment", args=[invoice.pk]),
            reverse("portal:quote", args=[quote.pk]),
        ],
        "posts": [
            reverse("portal:report_payment", args=[invoice.pk]),
            reverse("portal:apply_credit", args=[invoice.pk]),
            reverse("portal:accept_quote", args=[quote.pk]),
        ],
    }


# --- three personas ------------------------------------------------------------------------


def test_owner_reaches_every_billing_page(client, owner, urls):
    client.force_login(owner.owner)
    for url in urls["lists"] + urls["objects"]:
        assert client.get(url).status_code == 200, url


def test_another_client_gets_404_on_every_billing_object(client, other_client, urls, quote):
    client.force_login(other_client.owner)
    for url in urls["objects"]:
        assert client.get(url).status_code == 404, url
    for url in urls["posts"]:
        assert client.post(url, {"amount": "1.00"}).status_code == 404, url
    # Their own lists are reachable, and show nothing of the owner's.
    assert client.get(urls["lists"][1]).context["invoices"] == []
    assert list(client.get(reverse("portal:quotes")).context["quotes"]) == []
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT
    assert not PaymentReport.objects.exists()


def test_staff_gets_404_on_every_billing_url(client, urls):
    client.force_login(make_staff())
    for url in urls["lists"] + urls["objects"]:
        assert client.get(url).status_code == 404, url
    for url in urls["posts"]:
        assert client.post(url, {"amount": "1.00"}).status_code == 404, url


@pytest.mark.parametrize("name", ["portal:invoices", "portal:add_funds", "portal:quotes"])
def test_billing_pages_need_a_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_post_endpoints_refuse_get(client, owner, invoice, quote):
    client.force_login(owner.owner)
    assert client.get(reverse("portal:apply_credit", args=[invoice.pk])).status_code == 405
    assert client.get(reverse("portal:accept_quote", args=[quote.pk])).status_code == 405


def test_drafts_are_never_shown(client, owner):
    draft = actions.draft_invoice(owner, [actions.Line("Secret", Decimal("5.00"))], timezone.now())
    draft_quote = Quote.objects.create(client=owner, title="Not ready")
    client.force_login(owner.owner)
    for url in [
        reverse("portal:invoice", args=[draft.pk]),
        reverse("portal:invoice_pdf", args=[draft.pk]),
        reverse("portal:report_payment", args=[draft.pk]),
        reverse("portal:quote", args=[draft_quote.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("portal:accept_quote", args=[draft_quote.pk])).status_code == 404
    assert list(client.get(reverse("portal:invoices") + "?show=all").context["invoices"]) == []
    assert list(client.get(reverse("portal:quotes")).context["quotes"]) == []


# --- invoices ------------------------------------------------------------------------------


def test_invoice_page_shows_how_to_pay(client, owner, invoice):
    client.force_login(english(owner))
    page = client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    billing = BillingSettings.current()
    assert invoice.display_number in page
    assert billing.iban in page.replace(" ", "")  # shown in groups of four or not
    assert invoice.payment_reference.startswith("RF") and invoice.payment_reference in page
    assert f"{invoice.due_on.day} {invoice.due_on:%B %Y}" in page  # one date format, English
    assert "Hosting Pro" in page
    assert "€120.78" in page  # 99.00 + 22% VAT
    assert "VAT 22% on €99.00" in page
    assert reverse("portal:report_payment", args=[invoice.pk]) in page
    assert "Apply credit" not in page  # no credit balance


def test_invoice_list_tabs(client, owner):
    past = timezone.now() - timedelta(days=40)
    overdue = hosting_invoice(owner, past)
    open_ = hosting_invoice(owner)
    paid = hosting_invoice(owner, past)
    actions.record_payment(owner, paid.total, timezone.localdate(), invoice=paid)
    note = actions.issue_credit_note(paid, timezone.now(), reason="Refund")
    actions.draft_invoice(owner, [actions.Line("Draft", Decimal("1.00"))], timezone.now())
    client.force_login(english(owner))
    url = reverse("portal:invoices")

    def shown(tab):
        return {invoice.pk for invoice in client.get(url, {"show": tab}).context["invoices"]}

    assert shown("open") == {overdue.pk, open_.pk}
    assert shown("overdue") == {overdue.pk}
    assert shown("paid") == {paid.pk, note.pk}
    assert shown("all") == {overdue.pk, open_.pk, paid.pk, note.pk}
    assert shown("nonsense") == shown("open")
    page = client.get(url, {"show": "all"}).content.decode()
    assert "invoice-overdue" in page and "Overdue" in page
    assert "invoice-credit_note" in page and note.display_number in page


def test_pdf_download(client, owner, invoice):
    client.force_login(owner.owner)
    response = client.get(reverse("portal:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    filename = actions.pdf_filename(invoice)
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert response.content.startswith(b"%PDF")


# --- payment reports -----------------------------------------------------------------------


def report_data(**changes):
    data = {
        "bank": "Banca Sella",
        "branch": "Biella",
        "paid_on": timezone.localdate().isoformat(),
        "receipt_number": "CRO-12345",
        "amount": "120.78",
    }
    return {**data, **changes}


def test_report_a_payment(client, owner, invoice):
    client.force_login(english(owner))
    url = reverse("portal:report_payment", args=[invoice.pk])
    form = client.get(url).context["form"]
    assert form["amount"].value() == invoice.amount_due
    response = client.post(url, report_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:invoice", args=[invoice.pk])
    report = PaymentReport.objects.get()
    assert (report.client, report.invoice, report.amount) == (owner, invoice, Decimal("120.78"))
    assert report.bank == "Banca Sella" and report.receipt_number == "CRO-12345"
    assert report.review_on >= timezone.localdate()
    page = client.get(response["Location"]).content.decode()
    assert "Payments you reported" in page and "CRO-12345" in page
    assert "Thank you: we will review your payment report on" in page


def test_report_refuses_a_future_date_and_a_zero_amount(client, owner, invoice):
    client.force_login(english(owner))
    url = reverse("portal:report_payment", args=[invoice.pk])
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client.post(url, report_data(paid_on=tomorrow, amount="0"))
    assert response.status_code == 200
    assert "The date of payment cannot be in the future." in response.content.decode()
    assert response.context["form"].has_error("amount")
    assert not PaymentReport.objects.exists()


def test_report_on_a_paid_invoice_is_refused_by_the_action(client, owner, invoice):
    actions.record_payment(owner, invoice.total, timezone.localdate(), invoice=invoice)
    client.force_login(english(owner))
    response = client.post(reverse("portal:report_payment", args=[invoice.pk]), report_data())
    assert response.status_code == 200
    assert "This invoice has nothing left to pay." in response.content.decode()
    assert not PaymentReport.objects.exists()


def test_report_after_the_cutoff_on_a_friday_is_reviewed_on_monday(client, owner):
    friday_evening = datetime(2026, 3, 13, 18, 30, tzinfo=ROME)
    assert friday_evening.weekday() == 4
    with time_machine.travel(friday_evening, tick=False):
        invoice = hosting_invoice(owner)
        client.force_login(english(owner))
        url = reverse("portal:report_payment", args=[invoice.pk])
        assert client.post(url, report_data()).status_code == 302
        report = PaymentReport.objects.get()
        assert report.review_on == date(2026, 3, 16)
        page = client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    assert (
        "Reviewed on 16 March 2026: reports after 17:00 and on holidays are reviewed the next "
        "working day." in page
    )


def test_report_in_office_hours_is_reviewed_the_same_day(client, owner):
    with time_machine.travel(datetime(2026, 3, 13, 10, 0, tzinfo=ROME), tick=False):
        invoice = hosting_invoice(owner)
        client.force_login(english(owner))
        client.post(reverse("portal:report_payment", args=[invoice.pk]), report_data())
        page = client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    assert PaymentReport.objects.get().review_on == date(2026, 3, 13)
    assert "Reviewed on 13 March 2026." in page
    assert "reports after 17:00" not in page


# --- credit --------------------------------------------------------------------------------


def give_credit(client, amount="50"):
    actions.record_payment(client, Decimal(amount), timezone.localdate())
    assert actions.credit_balance(client) == Decimal(amount)


def test_apply_credit_reduces_the_amount_due(client, owner, invoice):
    give_credit(owner)
    client.force_login(english(owner))
    url = reverse("portal:invoice", args=[invoice.pk])
    response = client.get(url)
    assert response.context["credit_form"]["amount"].value() == Decimal("50.00")  # min(50, due)
    assert "Your credit balance is <strong>€50.00</strong>" in response.content.decode()
    response = client.post(
        reverse("portal:apply_credit", args=[invoice.pk]), {"amount": "50.00"}, follow=True
    )
    assert response.redirect_chain == [(url, 302)]
    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("70.78")
    assert actions.credit_balance(owner) == Decimal("0")
    page = response.content.decode()
    assert "€50.00 of your credit has been applied to this invoice." in page
    assert "Account credit" in page  # the payment received, by credit
    assert response.context["credit_form"] is None  # nothing left to apply


def test_credit_form_is_prefilled_with_the_amount_due_when_the_balance_is_larger(
    client, owner, invoice
):
    give_credit(owner, "500")
    client.force_login(owner.owner)
    response = client.get(reverse("portal:invoice", args=[invoice.pk]))
    assert response.context["credit_form"]["amount"].value() == Decimal("120.78")


def test_applying_more_than_the_balance_shows_the_error_and_changes_nothing(client, owner, invoice):
    give_credit(owner)
    client.force_login(english(owner))
    response = client.post(reverse("portal:apply_credit", args=[invoice.pk]), {"amount": "60"})
    assert response.status_code == 200
    [error] = response.context["credit_form"].errors["amount"]
    assert re.fullmatch(r"Your credit balance is €50\.00\.", error), error
    assert error in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.amount_due == Decimal("120.78")
    assert actions.credit_balance(owner) == Decimal("50")
    assert not invoice.payments.exists()


# --- funds ---------------------------------------------------------------------------------


def test_add_funds_creates_a_payment_notice_whose_payment_becomes_credit(client, owner):
    client.force_login(english(owner))
    response = client.post(reverse("portal:add_funds"), {"amount": "100"})
    notice = owner.invoices.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:invoice", args=[notice.pk])
    assert notice.purpose == Invoice.Purpose.FUNDS and notice.is_payment_notice
    assert notice.amount_due == Decimal("100.00")
    page = client.get(response["Location"]).content.decode()
    assert "Your payment notice is ready" in page
    assert notice.payment_reference in page
    assert "Apply credit" not in page  # credit cannot pay for funds

    actions.record_payment(owner, Decimal("100"), timezone.localdate(), invoice=notice)
    assert actions.credit_balance(owner) == Decimal("100")
    page = client.get(reverse("portal:add_funds")).content.decode()
    assert "€100.00" in page
    assert "Funds added" in page  # the ledger entry


def test_add_funds_below_the_minimum_is_refused(client, owner):
    client.force_login(english(owner))
    response = client.post(reverse("portal:add_funds"), {"amount": "5"})
    assert response.status_code == 200
    assert "The minimum is €10.00." in response.content.decode()
    assert not owner.invoices.exists()


# --- quotes --------------------------------------------------------------------------------


def test_quote_page_shows_lines_total_and_deposit(client, owner, quote):
    client.force_login(english(owner))
    page = client.get(reverse("portal:quote", args=[quote.pk])).content.decode()
    assert "New website" in page and "Design" in page
    assert "€1,000.00" in page and "+ VAT" in page
    assert "30%: €300.00 + VAT" in page
    assert reverse("portal:accept_quote", args=[quote.pk]) in page


def test_accepting_a_sent_quote_issues_the_deposit_invoice(client, owner, quote):
    client.force_login(english(owner))
    url = reverse("portal:accept_quote", args=[quote.pk])
    response = client.post(url)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED and quote.accepted_at
    deposit = quote.deposit_invoice
    assert deposit.purpose == Invoice.Purpose.DEPOSIT and deposit.net_total == Decimal("300.00")
    assert response["Location"] == reverse("portal:invoice", args=[deposit.pk])
    assert (
        "This is the invoice for the deposit." in client.get(response["Location"]).content.decode()
    )

    page = client.get(reverse("portal:quote", args=[quote.pk])).content.decode()
    assert deposit.display_number in page
    assert url not in page  # no accept button any more

    response = client.post(url, follow=True)
    assert "This quote cannot be accepted any more." in response.content.decode()
    assert owner.invoices.count() == 1


def test_other_clients_quote_is_404_and_stays_unaccepted(client, owner, other_client):
    theirs = sent_quote(other_client)
    client.force_login(owner.owner)
    assert client.get(reverse("portal:quote", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("portal:accept_quote", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Quote.Status.SENT


# --- dashboard -----------------------------------------------------------------------------


def test_dashboard_shows_invoices_to_pay_and_the_credit_balance(client, owner):
    overdue = hosting_invoice(owner, timezone.now() - timedelta(days=40))
    give_credit(owner, "12.5")
    client.force_login(english(owner))
    page = client.get(reverse("portal:home")).content.decode()
    assert "Invoices to pay" in page
    assert overdue.display_number in page and "€120.78" in page
    assert "invoice-overdue" in page
    assert "Credit balance: <strong>€12.50</strong>" in page
    assert reverse("portal:add_funds") in page


def test_dashboard_query_count_does_not_grow_with_invoices(
    client, owner, django_assert_max_num_queries
):
    client.force_login(owner.owner)
    hosting_invoice(owner)
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("portal:home"))
    for _ in range(20):
        hosting_invoice(owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("portal:home"))
    assert len(response.context["to_pay"]) == 21


def test_invoice_list_query_count_does_not_grow_with_invoices(
    client, owner, django_assert_max_num_queries
):
    client.force_login(owner.owner)
    hosting_invoice(owner)
    url = reverse("portal:invoices") + "?show=all"
    # (the online-payment block on the list reads its own few)
    with django_assert_max_num_queries(17) as few:
        client.get(url)
    for _ in range(20):
        hosting_invoice(owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["invoices"]) == 21


def test_nav_links_to_invoices_and_quotes(client, owner):
    client.force_login(owner.owner)
    page = client.get(reverse("portal:home")).content.decode()
    assert f'href="{reverse("portal:invoices")}"' in page
    assert f'href="{reverse("portal:quotes")}"' in page


# --- in the browser: how the pages look ------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)  # the live server runs in another thread
def test_billing_pages_in_the_browser(live_server, new_page):
    from sportello.browser import shot
    from sportello.testing import PASSWORD, make_client

    owner = make_client("olga@example.org", name="Olga Owner", language="en")
    now = timezone.now()
    overdue = hosting_invoice(owner, now - timedelta(days=40))
    to_pay = hosting_invoice(owner)
    paid = hosting_invoice(owner, now - timedelta(days=60))
    actions.record_payment(
        owner, paid.total, timezone.localdate() - timedelta(days=50), invoice=paid
    )
    note = actions.issue_credit_note(paid, now, reason="Discount agreed", amount=Decimal("20"))
    actions.report_payment(
        owner,
        to_pay,
        {"bank": "Banca Sella", "branch": "Biella", "paid_on": timezone.localdate(),
         "receipt_number": "CRO-4711", "amount": Decimal("120.78")},
        now,
    )  # fmt: skip
    sent = sent_quote(owner)
    accepted = sent_quote(owner, net=Decimal("450.00"), deposit=Decimal("50"))
    actions.accept_quote(accepted, now)
    actions.record_payment(owner, Decimal("30"), timezone.localdate())  # credit: 30.00 EUR

    page = new_page("en-GB")
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', "olga@example.org")
    page.fill('input[name="password"]', PASSWORD)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")

    def visit(path, name):
        page.goto(base + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        shot(page, f"billing-{name}")

    visit(reverse("portal:home"), "01-dashboard")
    visit(reverse("portal:invoices"), "02-invoices-open")
    visit(reverse("portal:invoices") + "?show=all", "03-invoices-all")
    visit(reverse("portal:invoice", args=[to_pay.pk]), "04-invoice-open")
    visit(reverse("portal:invoice", args=[overdue.pk]), "05-invoice-overdue")
    visit(reverse("portal:invoice", args=[paid.pk]), "06-invoice-paid")
    visit(reverse("portal:invoice", args=[note.pk]), "07-credit-note")
    visit(reverse("portal:report_payment", args=[overdue.pk]), "08-report-payment")
    page.fill('input[name="bank"]', "Banca Sella")
    page.fill('input[name="paid_on"]', (timezone.localdate() + timedelta(days=3)).isoformat())
    page.fill('input[name="receipt_number"]', "CRO-1")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator(".has-error").count() == 1
    shot(page, "billing-09-report-payment-errors")

    visit(reverse("portal:invoice", args=[overdue.pk]), "10-before-apply-credit")
    page.fill('input[name="amount"]', "45")
    with page.expect_navigation():
        page.click(f'form[action="{reverse("portal:apply_credit", args=[overdue.pk])}"] button')
    assert page.locator(".has-error").count() == 1
    shot(page, "billing-11-apply-credit-error")

    visit(reverse("portal:add_funds"), "12-add-funds")
    page.fill('input[name="amount"]', "100")
    with page.expect_navigation():
        page.click("main form.form button[type=submit]")
    notice = owner.invoices.get(purpose=Invoice.Purpose.FUNDS)
    assert page.url.endswith(reverse("portal:invoice", args=[notice.pk]))
    shot(page, "billing-13-funds-notice")

    visit(reverse("portal:quotes"), "14-quotes")
    visit(reverse("portal:quote", args=[sent.pk]), "15-quote-sent")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    shot(page, "billing-16-quote-accepted-deposit-invoice")
    visit(reverse("portal:quote", args=[accepted.pk]), "17-quote-accepted")

    page.set_viewport_size({"width": 390, "height": 844})
    visit(reverse("portal:invoice", args=[to_pay.pk]), "18-phone-invoice")
    visit(reverse("portal:home"), "19-phone-dashboard")
    visit(reverse("portal:invoices") + "?show=all", "20-phone-invoices")
    visit(reverse("portal:add_funds"), "21-phone-add-funds")
    visit(reverse("portal:quote", args=[sent.pk]), "22-phone-quote")


def test_payment_history_lists_the_clients_own_payments_and_credit(
    client, owner, other_client, invoice
):
    actions.record_payment(owner, Decimal("150.00"), date(2026, 12, 1), invoice=invoice,
                           reference="CRO-OLGA-1")  # fmt: skip
    actions.record_payment(other_client, Decimal("77.77"), date(2026, 12, 2))
    client.force_login(english(owner))
    page = client.get(reverse("portal:payments")).content.decode()
    assert invoice.display_number in page and "150.00" in page
    assert "Overpayment" in page  # the part beyond the invoice became credit
    assert "77.77" not in page
    # Reached from the invoices list and the dashboard.
    for url in (reverse("portal:invoices"), reverse("portal:home")):
        assert reverse("portal:payments") in client.get(url).content.decode()


def test_dashboard_shows_the_open_tickets(client, owner):
    from sportello.helpdesk.models import Ticket
    from sportello.testing import make_ticket

    ticket = make_ticket(owner)
    client.force_login(owner.owner)
    page = client.get(reverse("portal:home")).content.decode()
    assert ticket.code in page and reverse("portal:tickets") in page
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    link = reverse("portal:ticket", args=[ticket.code])
    assert link not in client.get(reverse("portal:home")).content.decode()
