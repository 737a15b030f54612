"""The desk's billing pages: thin views over billing.actions and billing.reconcile.

The actions refuse with a translated ValidationError; it is shown on the form (or as a
message for the one-button forms), never as a server error."""

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.accounts.models import Client, User
from sportello.billing import actions, reconcile
from sportello.billing.models import (
    BankEntry,
    Invoice,
    Payment,
    PaymentReport,
    Quote,
    StatementImport,
)
from sportello.billing.pdf import invoice_pdf
from sportello.core.access import staff_required
from sportello.core.formatting import format_money
from sportello.core.models import AuditEvent
from sportello.core.money import ZERO
from sportello.core.params import PAGE, page_number, to_id

from .desk_forms import (
    INVOICE_NUMBER,
    ChargeForm,
    ClientPaymentForm,
    CreditEntryForm,
    CreditNoteForm,
    DismissEntryForm,
    InvoiceFilterForm,
    InvoiceForm,
    InvoiceLineFormSet,
    MatchEntryForm,
    PaymentForm,
    QuoteForm,
    QuoteLineFormSet,
    ReportReviewForm,
    StatementUploadForm,
)

BILLING_ROLES = (User.Role.ADMIN, User.Role.BILLING)
billing_staff = staff_required(*BILLING_ROLES)
# Audit events of a client's billing; their details name amounts.
BILLING_EVENTS = [
    AuditEvent.Action.INVOICE_ISSUED,
    AuditEvent.Action.CREDIT_NOTE_ISSUED,
    AuditEvent.Action.PAYMENT_RECORDED,
    AuditEvent.Action.PAYMENT_REPORTED,
    AuditEvent.Action.PAYMENT_REPORT_REJECTED,
    AuditEvent.Action.CREDIT_APPLIED,
    AuditEvent.Action.CHARGE_ADDED,
    AuditEvent.Action.QUOTE_SENT,
    AuditEvent.Action.QUOTE_ACCEPTED,
]


def can_bill(user) -> bool:
    return user.is_staff and (user.is_superuser or user.role in BILLING_ROLES)


def amount(value) -> str:
    """A sum of money for a message, as the active language writes it (1.234,50 € in Italian)."""
    return format_money(value)


def reason(error: ValidationError) -> str:
    return " ".join(error.messages)


def paged(request, queryset):
    """A page of rows (one query) and whether there is a next one."""
    page = page_number(request)
    rows = list(queryset[(page - 1) * PAGE : page * PAGE + 1])
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "rows": rows[:PAGE],
        "page": page,
        "has_next": len(rows) > PAGE,
        "query": query.urlencode(),
    }


def client_from_query(request) -> Client | None:
    pk = to_id(request.GET.get("client"))
    if pk is None:
        return None
    return Client.objects.select_related("owner").filter(pk=pk).first()


def billing_summary(client: Client) -> dict:
    """What the client page's billing card shows."""
    today = timezone.localdate()
    open_invoices = list(client.invoices.filter(status=Invoice.Status.OPEN).order_by("due_on"))
    for invoice in open_invoices:
        invoice.overdue = invoice.is_overdue(today)
    return {
        "open_invoices": open_invoices,
        "amount_due": sum((invoice.amount_due for invoice in open_invoices), ZERO),
        "credit_balance": actions.credit_balance(client),
        "pending_charges": client.charges.filter(invoice_line__isnull=True).count(),
        "late_payments": actions.late_payments(client, today),
        "repeat_late_payer": actions.is_repeat_late_payer(client, today),
    }


# --- Invoices -------------------------------------------------------------------------------


@billing_staff
def invoice_list(request):
    today = timezone.localdate()
    form = InvoiceFilterForm(request.GET)
    invoices = Invoice.objects.exclude(status=Invoice.Status.DRAFT).select_related("client")
    if form.is_valid():
        data = form.cleaned_data
        if data["status"]:
            invoices = invoices.filter(status=data["status"])
        if data["kind"]:
            invoices = invoices.filter(kind=data["kind"])
        if data["overdue"]:
            invoices = invoices.filter(status=Invoice.Status.OPEN, due_on__lt=today)
        query = data["q"].strip()
        number = INVOICE_NUMBER.match(query.removeprefix("NC").strip())
        if number:
            invoices = invoices.filter(year=int(number[1]), number=int(number[2]))
        elif query:
            invoices = invoices.filter(
                Q(client__name__icontains=query)
                | Q(client__company_name__icontains=query)
                | Q(billing_name__icontains=query)
                | Q(client__owner__email__icontains=query)
                | Q(client__vat_number__icontains=query)
            )
    context = paged(request, invoices)
    for invoice in context["rows"]:
        invoice.overdue = invoice.is_overdue(today)
    # Payment notices are counted apart: they are not invoices to collect.
    totals = Invoice.objects.receivable().amounts_due()
    notices = Invoice.objects.notices_to_pay().amounts_due()
    context.update(form=form, totals=totals, notices=notices, section="invoices")
    return render(request, "billing/desk/invoice_list.html", context)


@billing_staff
def invoice_new(request):
    preset = client_from_query(request)
    form = InvoiceForm(request.POST or None, initial={"client": preset})
    lines = InvoiceLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and all([form.is_valid(), lines.is_valid()]):
        data = form.cleaned_data
        invoice_lines = [
            actions.Line(
                description=line["description"],
                unit_price=line["unit_price"],
                quantity=line["quantity"],
                vat_rate=line.get("vat_rate"),
            )
            for line in lines.cleaned_data
            if line
        ]
        try:
            invoice = actions.create_invoice(
                data["client"],
                invoice_lines,
                timezone.now(),
                purpose=data["purpose"],
                coupon=data["coupon"],
                include_pending_charges=data["include_pending_charges"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(number)s issued and sent to %(email)s.")
                % {"number": invoice.display_number, "email": invoice.client.contact_email},
            )
            return redirect("desk:invoice", pk=invoice.pk)
    client = preset
    if form.is_bound and not form.errors.get("client"):
        client = form.cleaned_data.get("client") or preset
    pending = list(client.charges.filter(invoice_line__isnull=True)) if client else []
    return render(
        request,
        "billing/desk/invoice_new.html",
        {
            "form": form,
            "lines": lines,
            "client": client,
            "pending_charges": pending,
            "section": "invoice_new",
        },
    )


@billing_staff
def invoice_detail(request, pk):
    invoice = get_object_or_404(Invoice.objects.select_related("client__owner", "corrects"), pk=pk)
    today = timezone.localdate()
    payment_form = PaymentForm(
        prefix="payment",
        initial={"received_on": today, "currency": "EUR", "amount": invoice.amount_due},
    )
    credit_form = CreditNoteForm(prefix="credit")
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "payment":
        payment_form = PaymentForm(request.POST, prefix="payment")
        if payment_form.is_valid():
            data = payment_form.cleaned_data
            try:
                payment = actions.record_payment(
                    invoice.client,
                    data["amount"],
                    data["received_on"],
                    method=data["method"],
                    currency=data["currency"],
                    invoice=invoice,
                    reference=data["reference"],
                    actor=request.user,
                    request=request,
                )
            except ValidationError as error:
                payment_form.add_error(None, error)
            else:
                messages.success(request, payment_message(payment))
                return redirect("desk:invoice", pk=invoice.pk)
    elif action == "credit_note":
        credit_form = CreditNoteForm(request.POST, prefix="credit")
        if credit_form.is_valid():
            data = credit_form.cleaned_data
            try:
                note = actions.issue_credit_note(
                    invoice,
                    timezone.now(),
                    reason=data["reason"],
                    amount=data["amount"],
                    request=request,
                )
            except ValidationError as error:
                credit_form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Credit note %(number)s issued and sent to the client.")
                    % {"number": note.display_number},
                )
                return redirect("desk:invoice", pk=invoice.pk)
    credit_notes = list(invoice.credit_notes.order_by("id"))
    creditable = invoice.total - sum((note.total for note in credit_notes), ZERO)
    is_invoice = invoice.kind == Invoice.Kind.INVOICE
    quote = Quote.objects.filter(Q(deposit_invoice=invoice) | Q(balance_invoice=invoice)).first()
    return render(
        request,
        "billing/desk/invoice_detail.html",
        {
            "invoice": invoice,
            "overdue": invoice.is_overdue(today),
            "lines": invoice.lines.select_related("service"),
            "breakdown": invoice.vat_breakdown(),
            "payments": invoice.payments.select_related("recorded_by", "bank_entry"),
            "credit_notes": credit_notes,
            "credit_entries": invoice.credit_entries.all(),
            "reports": invoice.reports.select_related("reviewed_by"),
            "quote": quote,
            "payment_form": payment_form,
            "credit_form": credit_form,
            "can_pay": is_invoice and invoice.status == Invoice.Status.OPEN,
            "can_credit": is_invoice and invoice.number is not None and creditable > 0,
            "creditable": creditable,
            "section": "invoices",
        },
    )


def payment_message(payment: Payment) -> str:
    credit = payment.amount - payment.applied_to_invoice
    if payment.invoice_id and credit > 0:
        return _(
            "Payment of %(amount)s recorded: %(applied)s on the invoice, "
            "%(credit)s added to the client's credit."
        ) % {
            "amount": amount(payment.amount),
            "applied": amount(payment.applied_to_invoice),
            "credit": amount(credit),
        }
    if payment.invoice is not None:
        return _("Payment of %(amount)s recorded on %(number)s.") % {
            "amount": amount(payment.amount),
            "number": payment.invoice.display_number,
        }
    return _("Payment of %(amount)s recorded as credit for %(client)s.") % {
        "amount": amount(payment.amount),
        "client": payment.client.display_name,
    }


@billing_staff
def invoice_pdf_download(request, pk):
    invoice = get_object_or_404(Invoice.objects.exclude(status=Invoice.Status.DRAFT), pk=pk)
    return FileResponse(
        io.BytesIO(invoice_pdf(invoice)),
        as_attachment=True,
        filename=actions.pdf_filename(invoice),
        content_type="application/pdf",
    )


# --- Payments -------------------------------------------------------------------------------


@billing_staff
def payment_list(request):
    preset = client_from_query(request)
    form = ClientPaymentForm(
        request.POST or None,
        initial={"received_on": timezone.localdate(), "currency": "EUR", "client": preset},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = actions.record_payment(
                data["client"],
                data["amount"],
                data["received_on"],
                method=data["method"],
                currency=data["currency"],
                reference=data["reference"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, payment_message(payment))
            return redirect("desk:payments")
    payments = Payment.objects.select_related("client", "invoice", "recorded_by")
    context = paged(request, payments)
    context.update(form=form, section="payments")
    return render(request, "billing/desk/payment_list.html", context)


# --- Bank statements ------------------------------------------------------------------------


@billing_staff
def statements(request):
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = reconcile.import_statement(
                upload.read(), upload.name, timezone.now(), actor=request.user, request=request
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            if record.new_entries:
                messages.success(
                    request,
                    _("%(file)s: %(new)s new credits, %(matched)s matched to invoices.")
                    % {
                        "file": record.filename,
                        "new": record.new_entries,
                        "matched": record.matched,
                    },
                )
            else:
                messages.info(
                    request,
                    _("%(file)s: nothing new, every credit in it had already been imported.")
                    % {"file": record.filename},
                )
            return redirect("desk:statements")
    entries = (
        BankEntry.objects.filter(
            status__in=[BankEntry.Status.UNMATCHED, BankEntry.Status.SUGGESTED]
        )
        .select_related("statement", "invoice__client", "client")
        .order_by("booking_date", "id")
    )
    dismissed = BankEntry.objects.filter(status=BankEntry.Status.DISMISSED).select_related(
        "decided_by"
    )
    return render(
        request,
        "billing/desk/statements.html",
        {
            "form": form,
            "imports": StatementImport.objects.select_related("uploaded_by")[:20],
            "entries": entries[:200],
            "dismissed": dismissed.order_by("-decided_at", "-id")[:20],
            "section": "statements",
        },
    )


@billing_staff
@require_POST
def statement_entry_match(request, pk):
    entry = get_object_or_404(BankEntry.objects.select_related("invoice"), pk=pk)
    if "confirm" in request.POST and entry.status == BankEntry.Status.SUGGESTED:
        invoice = entry.invoice
    else:
        form = MatchEntryForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(form.errors["invoice"]))
            return redirect("desk:statements")
        invoice = form.cleaned_data["invoice"]
    try:
        payment = reconcile.match_entry(entry, invoice, actor=request.user)
    except ValidationError as error:
        messages.error(request, reason(error))
    else:
        messages.success(
            request,
            _("The credit of %(day)s is matched to %(number)s.")
            % {
                "day": date_format(entry.booking_date, "SHORT_DATE_FORMAT"),
                "number": invoice.display_number,
            }
            + " "
            + payment_message(payment),
        )
    return redirect("desk:statements")


@billing_staff
@require_POST
def statement_entry_credit(request, pk):
    """The credit is a client's, for no invoice of its own: it goes to their credit."""
    entry = get_object_or_404(BankEntry, pk=pk)
    form = CreditEntryForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("client", [])))
        return redirect("desk:statements")
    client = form.cleaned_data["client"]
    try:
        reconcile.credit_entry(entry, client, timezone.now(), actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("%(amount)s added to the credit of %(client)s.")
            % {"amount": number_format(entry.amount, 2), "client": client.display_name},
        )
    return redirect("desk:statements")


@billing_staff
@require_POST
def statement_entry_dismiss(request, pk):
    entry = get_object_or_404(BankEntry, pk=pk)
    form = DismissEntryForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what this credit is."))
        return redirect("desk:statements")
    try:
        reconcile.dismiss_entry(
            entry, form.cleaned_data["note"], timezone.now(), actor=request.user, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Set aside: not a client payment."))
    return redirect("desk:statements")


@billing_staff
@require_POST
def statement_entry_restore(request, pk):
    entry = get_object_or_404(BankEntry, pk=pk)
    try:
        reconcile.restore_entry(entry, actor=request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("desk:statements")


# --- Payment reports ------------------------------------------------------------------------


@billing_staff
def payment_reports(request):
    today = timezone.localdate()
    pending = list(
        PaymentReport.objects.filter(status=PaymentReport.Status.PENDING).select_related(
            "invoice", "client"
        )
    )
    for report in pending:
        report.next_day = report.review_on > timezone.localdate(report.created_at)
        report.due = report.review_on <= today
    reviewed = (
        PaymentReport.objects.exclude(status=PaymentReport.Status.PENDING)
        .select_related("invoice", "client", "reviewed_by", "settled_by")
        .order_by("-id")[:20]
    )
    return render(
        request,
        "billing/desk/payment_reports.html",
        {"pending": pending, "reviewed": reviewed, "today": today, "section": "payment_reports"},
    )


@billing_staff
@require_POST
def payment_report_review(request, pk):
    report = get_object_or_404(PaymentReport.objects.select_related("invoice", "client"), pk=pk)
    decision = request.POST.get("decision")
    review = ReportReviewForm(request.POST)
    try:
        if decision == "approve":
            if not review.is_valid():
                raise ValidationError(next(iter(review.errors.values())))
            payment = actions.approve_report(
                report,
                request.user,
                received=review.cleaned_data["received"],
                confirmed=review.cleaned_data["confirmed"],
                request=request,
            )
            if payment is None:
                messages.warning(
                    request,
                    _(
                        "%(number)s was already paid another way: the report is closed and "
                        "nothing was credited."
                    )
                    % {"number": report.invoice.display_number},
                )
            else:
                messages.success(request, payment_message(payment))
        elif decision == "reject":
            actions.reject_report(report, request.user, request=request)
            messages.success(
                request,
                _("The report on %(number)s has been rejected.")
                % {"number": report.invoice.display_number},
            )
    except ValidationError as error:
        messages.error(request, reason(error))
    return redirect("desk:payment_reports")


# --- Quotes ---------------------------------------------------------------------------------


@billing_staff
def quote_list(request):
    quotes = Quote.objects.select_related(
        "client", "deposit_invoice", "balance_invoice"
    ).prefetch_related("lines")
    status = request.GET.get("status", "")
    if status in Quote.Status.values:
        quotes = quotes.filter(status=status)
    context = paged(request, quotes)
    context.update(statuses=Quote.Status.choices, status=status, section="quotes")
    return render(request, "billing/desk/quote_list.html", context)


@billing_staff
def quote_new(request):
    form = QuoteForm(request.POST or None, initial={"client": client_from_query(request)})
    lines = QuoteLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and all([form.is_valid(), lines.is_valid()]):
        filled = [line for line in lines.cleaned_data if line]
        if not filled:
            form.add_error(None, _("A quote needs at least one line."))
        else:
            data = form.cleaned_data
            quote = actions.create_quote(
                data["client"], data["title"],
                [actions.Line(line["description"], line["unit_price"], line["quantity"])
                 for line in filled],
                notes=data["notes"], deposit_percent=data["deposit_percent"],
                valid_until=data["valid_until"],
            )  # fmt: skip
            messages.success(request, _("The quote has been saved as a draft."))
            return redirect("desk:quote", pk=quote.pk)
    return render(
        request,
        "billing/desk/quote_new.html",
        {"form": form, "lines": lines, "section": "quotes"},
    )


@billing_staff
def quote_detail(request, pk):
    quote = get_object_or_404(
        Quote.objects.select_related("client__owner", "deposit_invoice", "balance_invoice"), pk=pk
    )
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "send":
                actions.send_quote(quote, request=request)
                messages.success(
                    request,
                    _("The quote has been sent to %(email)s.")
                    % {"email": quote.client.contact_email},
                )
            elif action == "deliver":
                invoice = actions.invoice_quote_balance(
                    quote, timezone.now(), delivered=True, request=request
                )
                if invoice is not None:
                    messages.success(
                        request,
                        _("Balance invoice %(number)s issued and sent to the client.")
                        % {"number": invoice.display_number},
                    )
                else:
                    messages.info(
                        request, _("Marked as delivered: there is no balance to invoice.")
                    )
        except ValidationError as error:
            messages.error(request, reason(error))
        return redirect("desk:quote", pk=quote.pk)
    lines = list(quote.lines.all())
    return render(
        request,
        "billing/desk/quote_detail.html",
        {
            "quote": quote,
            "lines": lines,
            "net_total": sum((line.net for line in lines), ZERO),
            "section": "quotes",
        },
    )


# --- The client's ledger --------------------------------------------------------------------


@billing_staff
def client_ledger(request, pk):
    client = get_object_or_404(Client.objects.select_related("owner"), pk=pk)
    form = ChargeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            charge = actions.add_charge(
                client,
                data["description"],
                data["amount"],
                timezone.now(),
                invoice_now=data["invoice_now"],
                actor=request.user,
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if charge.invoice_line_id:
                messages.success(
                    request,
                    _("The charge has been invoiced on %(number)s.")
                    % {"number": charge.invoice_line.invoice.display_number},
                )
            else:
                messages.success(request, _("The charge will be on the client's next invoice."))
            return redirect("desk:client_ledger", pk=client.pk)
    today = timezone.localdate()
    invoices = list(client.invoices.exclude(status=Invoice.Status.DRAFT)[:50])
    for invoice in invoices:
        invoice.overdue = invoice.is_overdue(today)
    return render(
        request,
        "billing/desk/client_ledger.html",
        {
            "client": client,
            "form": form,
            "balance": actions.credit_balance(client),
            "entries": client.credit.select_related("invoice", "payment")[:100],
            "payments": client.payments.select_related("invoice", "recorded_by")[:50],
            "invoices": invoices,
            "pending_charges": client.charges.filter(invoice_line__isnull=True),
            "invoiced_charges": client.charges.filter(invoice_line__isnull=False).select_related(
                "invoice_line__invoice"
            )[:20],
            "section": "invoices",
        },
    )
