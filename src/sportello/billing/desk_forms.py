"""Forms of the staff desk's billing pages. They only check input; the billing actions decide."""

import re
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from sportello.accounts.models import Client
from sportello.billing.models import LARGEST_AMOUNT, Invoice, Payment
from sportello.billing.pricing import line_net
from sportello.core.formatting import format_money
from sportello.core.params import to_id

INVOICE_NUMBER = re.compile(r"^(\d{4})\s*/\s*(\d{1,6})$")
CURRENCY = re.compile(r"^[A-Za-z]{3}$")


def date_input():
    # ISO format, or the browser's date picker cannot show the initial value.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def money_field(label, *, required=True, positive=True, **options):
    options.setdefault("min_value", Decimal("0.01") if positive else -LARGEST_AMOUNT)
    options.setdefault("max_value", LARGEST_AMOUNT)
    return forms.DecimalField(
        label=label, max_digits=12, decimal_places=2, required=required, **options
    )


class ClientField(forms.Field):
    """A client by number (the id in the client page's address) or by login email; on the
    page, typing a name, email, VAT number or domain offers the clients it finds
    (desk/desk.js asks `desk:client_search`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"data-client-search": reverse_lazy("desk:client_search")}),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return value.pk if isinstance(value, Client) else value

    def to_python(self, value):
        if isinstance(value, Client):
            return value
        value = str(value or "").strip()
        if not value:
            return None
        if "\x00" in value:  # no client has it, and PostgreSQL refuses it in a query
            raise ValidationError(_("No client has this number or email."), code="invalid")
        clients = Client.objects.select_related("owner")
        pk = to_id(value)
        if pk is not None:
            client = clients.filter(pk=pk).first()
        else:
            client = clients.filter(owner__email__iexact=value).first()
        if client is None:
            raise ValidationError(_("No client has this number or email."), code="invalid")
        return client


def client_field():
    return ClientField(
        label=_("Client"),
        help_text=_(
            "Type the name, email, VAT number or a domain and choose the client; or the "
            "client's number (as in the client page) or email."
        ),
    )


# --- Invoices -------------------------------------------------------------------------------


class InvoiceFilterForm(forms.Form):
    STATUSES = [
        ("", _("Any status")),
        (Invoice.Status.OPEN, _("Open")),
        (Invoice.Status.PAID, _("Paid")),
        (Invoice.Status.CREDITED, _("Credited")),
    ]
    KINDS = [("", _("Invoices and credit notes")), *Invoice.Kind.choices]

    q = forms.CharField(label=_("Client or number"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUSES, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS, required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class InvoiceForm(forms.Form):
    PURPOSES = [
        (Invoice.Purpose.STANDARD, Invoice.Purpose.STANDARD.label),
        (Invoice.Purpose.RENEWAL, Invoice.Purpose.RENEWAL.label),
    ]

    client = client_field()
    purpose = forms.ChoiceField(label=_("Purpose"), choices=PURPOSES)
    coupon = forms.CharField(label=_("Coupon code"), max_length=40, required=False)
    include_pending_charges = forms.BooleanField(
        label=_("Include the client's pending extra charges"), required=False
    )


class LineRowForm(forms.Form):
    """A row of a lines table; one left with only its pre-filled quantity is an unused row."""

    def has_changed(self):
        return any(name != "quantity" for name in self.changed_data)

    def clean(self):
        data = super().clean()
        quantity, unit_price = data.get("quantity"), data.get("unit_price")
        if quantity is not None and unit_price is not None:
            if abs(line_net(quantity, unit_price)) > LARGEST_AMOUNT:
                self.add_error(
                    "unit_price",
                    _("This line comes to more than %(largest)s: split it over several invoices.")
                    % {"largest": f"{LARGEST_AMOUNT:,}"},
                )
        return data


class LinesFormSet(forms.BaseFormSet):
    """Lines whose sum an invoice can hold."""

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        total = sum(
            (
                line_net(form.cleaned_data["quantity"], form.cleaned_data["unit_price"])
                for form in self.forms
                if form.has_changed() and form.cleaned_data.get("unit_price") is not None
            ),
            Decimal(0),
        )
        if abs(total) > LARGEST_AMOUNT:
            raise ValidationError(
                _("These lines come to more than %(largest)s: split them over several invoices.")
                % {"largest": f"{LARGEST_AMOUNT:,}"}
            )


class InvoiceLineForm(LineRowForm):
    description = forms.CharField(label=_("Description"), max_length=300)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"), initial=1
    )
    unit_price = money_field(_("Net unit price"), positive=False)
    vat_rate = forms.DecimalField(
        label=_("VAT %"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Blank: the client's rate."),
    )


InvoiceLineFormSet = forms.formset_factory(
    InvoiceLineForm, formset=LinesFormSet, extra=5, max_num=50
)


class PaymentForm(forms.Form):
    METHODS = [
        (Payment.Method.BANK_TRANSFER, Payment.Method.BANK_TRANSFER.label),
        (Payment.Method.CHEQUE, Payment.Method.CHEQUE.label),
    ]

    received_on = forms.DateField(label=_("Received on"), widget=date_input())
    amount = money_field(_("Amount"))
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        initial="EUR",
        help_text=_("ISO code; other currencies are converted at the day's rate."),
    )
    method = forms.ChoiceField(label=_("Method"), choices=METHODS)
    reference = forms.CharField(label=_("Reference"), max_length=200, required=False)
    confirm_reference = forms.BooleanField(
        label=_("Record it anyway: it is another payment"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Shown only when the reference was already recorded.
        self.fields["confirm_reference"].widget = forms.HiddenInput()

    def clean(self):
        """A bank reference already recorded is most likely the same transfer entered twice
        (or already imported from a statement): recorded again only when confirmed."""
        data = super().clean()
        reference = (data.get("reference") or "").strip()
        if reference and not data.get("confirm_reference"):
            earlier = Payment.objects.filter(reference__iexact=reference).first()
            if earlier is not None:
                self.fields["confirm_reference"].widget = forms.CheckboxInput()
                self.add_error(
                    "confirm_reference",
                    _(
                        "A payment with the reference %(reference)s was already recorded on "
                        "%(day)s (%(amount)s)."
                    )
                    % {
                        "reference": reference,
                        "day": date_format(earlier.received_on, "SHORT_DATE_FORMAT"),
                        "amount": format_money(earlier.amount),
                    },
                )
        return data

    def clean_currency(self):
        currency = self.cleaned_data["currency"].strip()
        if not CURRENCY.match(currency):
            raise ValidationError(_("A currency is three letters, e.g. EUR or USD."))
        return currency.upper()


class ClientPaymentForm(PaymentForm):
    client = client_field()

    field_order = [
        "client", "received_on", "amount", "currency", "method", "reference", "confirm_reference"
    ]  # fmt: skip


class CreditNoteForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)
    amount = money_field(
        _("Amount including VAT"), required=False, help_text=_("Blank: the whole invoice.")
    )


# --- Bank statements ------------------------------------------------------------------------


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=_("Statement file (CAMT.053 or MT940)"))


class CreditEntryForm(forms.Form):
    client = client_field()


class DismissEntryForm(forms.Form):
    note = forms.CharField(
        label=_("What it is"), max_length=300,
        help_text=_("E.g. a supplier's refund, a transfer between our accounts."),
    )  # fmt: skip


class MatchEntryForm(forms.Form):
    invoice = forms.CharField(
        label=_("Invoice"), max_length=20, help_text=_("Number (e.g. 2026/000012) or id")
    )

    def clean_invoice(self):
        value = self.cleaned_data["invoice"].strip()
        invoices = Invoice.objects.select_related("client")
        found = INVOICE_NUMBER.match(value)
        if found:
            invoice = invoices.filter(
                kind=Invoice.Kind.INVOICE, year=int(found[1]), number=int(found[2])
            ).first()
        elif to_id(value) is not None:
            invoice = invoices.filter(pk=to_id(value), kind=Invoice.Kind.INVOICE).first()
        else:
            invoice = None
        if invoice is None:
            raise ValidationError(_("No invoice has this number or id."))
        return invoice


# --- Quotes ---------------------------------------------------------------------------------


class QuoteForm(forms.Form):
    client = client_field()
    title = forms.CharField(label=_("Title"), max_length=200)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    deposit_percent = forms.DecimalField(
        label=_("Deposit %"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=Decimal("30"),
    )
    valid_until = forms.DateField(label=_("Valid until"), widget=date_input(), required=False)


class QuoteLineForm(LineRowForm):
    description = forms.CharField(label=_("Description"), max_length=300)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=10, decimal_places=2, min_value=Decimal("0.01"), initial=1
    )
    unit_price = money_field(_("Net unit price"), positive=False)


QuoteLineFormSet = forms.formset_factory(QuoteLineForm, formset=LinesFormSet, extra=5, max_num=50)


# --- Client ledger --------------------------------------------------------------------------


class ChargeForm(forms.Form):
    description = forms.CharField(label=_("Description"), max_length=300)
    amount = money_field(_("Net amount"))
    invoice_now = forms.BooleanField(label=_("Invoice it now"), required=False)


class ReportReviewForm(forms.Form):
    """Approving a client's payment report: what the bank really credited."""

    received = money_field(_("Amount received"), required=False)
    confirmed = forms.BooleanField(label=_("Confirm a different amount"), required=False)
