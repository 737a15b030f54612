from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from sportello.billing.models import LARGEST_AMOUNT
from sportello.core.formatting import format_money


class PayForm(forms.Form):
    invoices = forms.TypedMultipleChoiceField(
        label=_("Invoices to pay"), coerce=int, widget=forms.CheckboxSelectMultiple
    )
    method = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect)
    save_method = forms.BooleanField(
        label=_("Keep this payment method for my renewals"), required=False
    )

    def __init__(self, *args, invoices, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoices"].choices = [
            (invoice.pk, f"{invoice.display_number} — {format_money(invoice.amount_due)}")
            for invoice in invoices
        ]
        self.fields["method"].choices = [(choice.key, choice.label) for choice in choices]
        if len(choices) == 1:
            self.fields["method"].initial = choices[0].key


class AutoPayForm(forms.Form):
    enabled = forms.BooleanField(label=_("Auto-pay renewals"), required=False)


class RefundForm(forms.Form):
    credit_note = forms.TypedChoiceField(label=_("Credit note"), coerce=int)
    amount = forms.DecimalField(
        label=_("Amount to refund (EUR)"), min_value=Decimal("0.01"), max_value=LARGEST_AMOUNT,
        max_digits=12, decimal_places=2, localize=True,
    )  # fmt: skip

    def __init__(self, *args, credit_notes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["credit_note"].choices = [
            (note.pk, f"{note.display_number} — {format_money(note.total)}")
            for note in credit_notes
        ]
