from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.billing import account_statement
from sportello.billing import actions as billing
from sportello.billing.models import BillingSettings, Invoice, PaymentReport, Quote
from sportello.billing.pdf import invoice_pdf
from sportello.core.access import client_required
from sportello.core.formatting import format_money
from sportello.core.money import cents, percent_of

from .forms import AddFundsForm, CouponForm, CreditForm, PaymentReportForm

INVOICE_TABS = ["open", "overdue", "paid", "all"]


def _visible_invoices(client):
    """Drafts are the provider's business: the client sees only issued documents."""
    return client.invoices.exclude(status=Invoice.Status.DRAFT)


def _visible_quotes(client):
    return client.quotes.exclude(status=Quote.Status.DRAFT)


def _tab_filters(today):
    return {
        "open": Q(status=Invoice.Status.OPEN),
        # The same test as Invoice.is_overdue, done by the database.
        "overdue": Q(status=Invoice.Status.OPEN, due_on__lt=today),
        "paid": Q(status=Invoice.Status.PAID),
        "all": Q(),
    }


@client_required
def invoices(request, client):
    today = timezone.localdate()
    filters = _tab_filters(today)
    tab = request.GET.get("show")
    if tab not in filters:
        tab = "open"
    visible = _visible_invoices(client)
    counts = visible.aggregate(**{name: Count("pk", filter=q) for name, q in filters.items()})
    # What is still to pay comes by due date, oldest first; the rest newest first.
    order = ("due_on", "id") if tab in {"open", "overdue"} else ("-issued_on", "-id")
    rows = list(visible.filter(filters[tab]).order_by(*order))
    for invoice in rows:
        invoice.overdue = invoice.is_overdue(today)
    labels = {"open": _("To pay"), "overdue": _("Overdue"), "paid": _("Paid"), "all": _("All")}
    tabs = [{"key": key, "label": labels[key], "count": counts[key]} for key in INVOICE_TABS]
    context = {"client": client, "invoices": rows, "tab": tab, "tabs": tabs,
               "download_years": account_statement.years(client),
               "zip_years": account_statement.invoice_years(client)}  # fmt: skip
    return render(request, "billing/invoices.html", context)


def _invoice_page(request, client, invoice, credit_form=None, coupon_form=None):
    today = timezone.localdate()
    is_open = invoice.status == Invoice.Status.OPEN
    balance = cents(billing.credit_balance(client)) if is_open else None
    may_apply_credit = is_open and invoice.purpose != Invoice.Purpose.FUNDS and balance > 0
    if credit_form is None and may_apply_credit:
        credit_form = CreditForm(initial={"amount": min(balance, invoice.amount_due)})
    reports = list(invoice.reports.filter(status=PaymentReport.Status.PENDING))
    for report in reports:
        report.next_working_day = report.review_on > timezone.localdate(report.created_at)
    billing_settings = BillingSettings.current()
    return render(
        request,
        "billing/invoice.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.select_related("service"),
            "breakdown": invoice.vat_breakdown(),
            "logo": billing_settings.logo_data_uri(),
            "payments": invoice.payments.all(),
            "credit_notes": invoice.credit_notes.exclude(status=Invoice.Status.DRAFT),
            "reports": reports,
            "billing": billing_settings,
            "cutoff": f"{billing_settings.report_cutoff_hour:02d}:00",
            "is_open": is_open,
            "overdue": invoice.is_overdue(today),
            "balance": balance,
            "credit_form": credit_form,
            "may_use_coupon": is_open and _may_use_coupon(invoice),
            "coupon_form": coupon_form or CouponForm(),
            "coupons": billing.coupons_for_invoice(invoice, today) if is_open else [],
            "coupon_uses": invoice.coupon_uses.select_related("coupon"),
        },
    )


def _may_use_coupon(invoice):
    return (
        invoice.kind == Invoice.Kind.INVOICE
        and invoice.purpose not in (Invoice.Purpose.FUNDS, Invoice.Purpose.CORRECTION)
        and not invoice.coupon_uses.exists()
    )


@client_required
def invoice_detail(request, client, pk):
    invoice = get_object_or_404(
        _visible_invoices(client).select_related("corrects").prefetch_related("lines"), pk=pk
    )
    return _invoice_page(request, client, invoice)


@client_required
def invoice_pdf_download(request, client, pk):
    invoice = get_object_or_404(_visible_invoices(client), pk=pk)
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=billing.pdf_filename(invoice)
    )
    return response


@client_required
def report_payment(request, client, pk):
    invoice = get_object_or_404(_visible_invoices(client), pk=pk)
    due = invoice.amount_due if invoice.status == Invoice.Status.OPEN else None
    form = PaymentReportForm(request.POST or None, initial={"amount": due}, amount_due=due)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "confirm_amount"}
        try:
            report = billing.report_payment(client, invoice, data, timezone.now(), request=request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Thank you: we will review your payment report on %(day)s.")
                % {"day": date_format(report.review_on, "DATE_FORMAT")},
            )
            return redirect("portal:invoice", pk=invoice.pk)
    return render(
        request,
        "billing/report_payment.html",
        {
            "invoice": invoice,
            "form": form,
            "is_open": invoice.status == Invoice.Status.OPEN,
            "cutoff": f"{BillingSettings.current().report_cutoff_hour:02d}:00",
        },
    )


@client_required
@require_POST
def apply_credit(request, client, pk):
    invoice = get_object_or_404(
        _visible_invoices(client).select_related("corrects").prefetch_related("lines"), pk=pk
    )
    form = CreditForm(request.POST)
    if form.is_valid():
        amount = form.cleaned_data["amount"]
        try:
            billing.apply_credit(client, invoice, amount, timezone.now(), request=request)
        except ValidationError as error:
            form.add_error("amount", error)
        else:
            messages.success(
                request,
                _("%(amount)s of your credit has been applied to this invoice.")
                % {"amount": format_money(amount)},
            )
            return redirect("portal:invoice", pk=invoice.pk)
    return _invoice_page(request, client, invoice, credit_form=form)


@client_required
@require_POST
def apply_coupon(request, client, pk):
    invoice = get_object_or_404(
        _visible_invoices(client).select_related("corrects").prefetch_related("lines"), pk=pk
    )
    form = CouponForm(request.POST)
    if form.is_valid():
        try:
            taken = billing.apply_coupon(
                invoice, form.cleaned_data["code"], timezone.now(), request=request
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(
                request,
                _("Coupon applied: %(amount)s less to pay.") % {"amount": format_money(taken)},
            )
            return redirect("portal:invoice", pk=invoice.pk)
    return _invoice_page(request, client, invoice, coupon_form=form)


@client_required
def add_funds(request, client):
    form = AddFundsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            notice = billing.add_funds(
                client, form.cleaned_data["amount"], timezone.now(), request=request
            )
        except ValidationError as error:
            form.add_error("amount", error)
        else:
            messages.success(
                request,
                _(
                    "Your payment notice is ready: once we receive the payment, the funds are "
                    "added to your credit balance."
                ),
            )
            return redirect("portal:invoice", pk=notice.pk)
    return render(
        request,
        "billing/add_funds.html",
        {
            "form": form,
            "balance": billing.credit_balance(client),
            "billing": BillingSettings.current(),
            "entries": client.credit.select_related("invoice"),
            "waiting": client.invoices.filter(
                status=Invoice.Status.OPEN, purpose=Invoice.Purpose.FUNDS
            ).order_by("due_on", "id"),
        },
    )


@client_required
def quotes(request, client):
    rows = _visible_quotes(client).prefetch_related("lines")
    return render(request, "billing/quotes.html", {"quotes": rows})


@client_required
def quote_detail(request, client, pk):
    quote = get_object_or_404(
        _visible_quotes(client)
        .select_related("deposit_invoice", "balance_invoice")
        .prefetch_related("lines"),
        pk=pk,
    )
    expired = (
        quote.status == Quote.Status.SENT
        and quote.valid_until is not None
        and timezone.localdate() > quote.valid_until
    )
    return render(
        request,
        "billing/quote.html",
        {
            "quote": quote,
            "lines": quote.lines.all(),
            "deposit": percent_of(quote.net_total, quote.deposit_percent),
            "expired": expired,
        },
    )


@client_required
@require_POST
def accept_quote(request, client, pk):
    quote = get_object_or_404(_visible_quotes(client), pk=pk)
    try:
        deposit = billing.accept_quote(quote, timezone.now(), request=request)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("portal:quote", pk=quote.pk)
    if deposit is None:
        messages.success(request, _("Thank you: the quote is accepted."))
        return redirect("portal:quote", pk=quote.pk)
    messages.success(
        request, _("Thank you: the quote is accepted. This is the invoice for the deposit.")
    )
    return redirect("portal:invoice", pk=deposit.pk)


@client_required
def payments(request, client):
    """Every payment received from the client and every movement of their credit (ACC-7)."""
    return render(
        request,
        "billing/payments.html",
        {
            "payments": client.payments.select_related("invoice").order_by("-received_on", "-id"),
            "entries": client.credit.select_related("invoice").order_by("-created_at", "-id"),
            "balance": billing.credit_balance(client),
        },
    )


# --- Downloads of a year: the invoices in one ZIP, the statement of account ---------------


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    return response


def _year_or_404(client, year: int) -> int:
    if year not in account_statement.years(client):
        raise Http404
    return year


@client_required
def invoices_zip(request, client, year):
    # Checked first: a year no date can hold would fail in the query.
    if year not in account_statement.invoice_years(client):
        raise Http404
    content = account_statement.invoices_zip(client, year)
    if content is None:
        raise Http404
    return _download(content, "application/zip", _("invoices-%(year)s.zip") % {"year": year})


@client_required
def statement_csv(request, client, year):
    _year_or_404(client, year)
    return _download(
        account_statement.as_csv(client, year),
        "text/csv; charset=utf-8",
        _("statement-%(year)s.csv") % {"year": year},
    )


@client_required
def statement_pdf(request, client, year):
    _year_or_404(client, year)
    return _download(
        account_statement.as_pdf(client, year, client.language),
        "application/pdf",
        _("statement-%(year)s.pdf") % {"year": year},
    )
