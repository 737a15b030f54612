"""Client-area billing forms: they only check the shape of the input; the billing actions
decide what is allowed and raise ValidationError otherwise."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sportello.core.formatting import format_money

CENT = Decimal("0.01")


def amount_field(label, **options) -> forms.DecimalField:
    # type=number: the browser shows the user's decimal separator and always posts a dot.
    return forms.DecimalField(
        label=label,
        max_digits=10,
        decimal_places=2,
        min_value=CENT,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
        **options,
    )


class PaymentReportForm(forms.Form):
    """BIL-8: the client tells us about a transfer or cheque; staff review it."""

    bank = forms.CharField(label=_("Bank"), max_length=120)
    branch = forms.CharField(label=_("Branch"), max_length=120, required=False)
    paid_on = forms.DateField(
        label=_("Date of payment"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    receipt_number = forms.CharField(
        label=_("Receipt number"),
        max_length=80,
        help_text=_("The transfer's reference (CRO/TRN) or the cheque number."),
    )
    amount = amount_field(_("Amount (EUR)"))
    confirm_amount = forms.BooleanField(label=_("Yes, this is the amount I paid"), required=False)

    def __init__(self, *args, amount_due=None, **kwargs):
        self.amount_due = amount_due
        super().__init__(*args, **kwargs)
        # Shown only once an amount differs from what is due.
        self.fields["confirm_amount"].widget = forms.HiddenInput()

    def clean(self):
        """An amount other than what is due is usually a typo: asked to confirm, so a
        report of 5,000.00 for an invoice of 59.78 does not go to staff by mistake."""
        data = super().clean()
        amount = data.get("amount")
        if (
            amount is not None
            and self.amount_due is not None
            and amount != self.amount_due
            and not data.get("confirm_amount")
        ):
            self.fields["confirm_amount"].widget = forms.CheckboxInput()
            self.add_error(
                "confirm_amount",
                _(
                    "You report %(amount)s, but %(due)s are due on this invoice. "
                    "Check the amount, or confirm it is what you paid."
                )
                % {"amount": format_money(amount), "due": format_money(self.amount_due)},
            )
        return data

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError(_("The date of payment cannot be in the future."))
        return paid_on


class CreditForm(forms.Form):
    """BIL-9: spend part of the credit balance on an open invoice."""

    amount = amount_field(_("Amount (EUR)"))


class AddFundsForm(forms.Form):
    amount = amount_field(
        _("Amount (EUR)"),
        help_text=_("You receive a payment notice; the funds are credited when it is paid."),
    )


class CouponForm(forms.Form):
    code = forms.CharField(
        label=_("Coupon code"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
