from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sportello.accounts.forms import BillingDetailsForm, set_acceptance_labels
from sportello.accounts.models import User

from .actions import clean_domain
from .models import OrderItem


class DomainSearchForm(forms.Form):
    name = forms.CharField(label=_("Domain"), max_length=253)

    def clean_name(self):
        return clean_domain(self.cleaned_data["name"])


class AddForm(forms.Form):
    product = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    cycle = forms.IntegerField(label=_("Period"), min_value=1, max_value=120)
    name = forms.CharField(label=_("Domain"), max_length=253, required=False)
    kind = forms.ChoiceField(choices=OrderItem.Kind.choices, required=False,
                             widget=forms.HiddenInput)  # fmt: skip
    auth_code = forms.CharField(label=_("Auth code"), max_length=100, required=False)


class RemoveForm(forms.Form):
    index = forms.IntegerField(min_value=0, max_value=100)


class CheckoutForm(forms.Form):
    coupon = forms.CharField(label=_("Coupon"), max_length=40, required=False)
    accept_terms = forms.BooleanField(label=_("I accept the terms of service"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the checkbox's label follows the box
        super().__init__(*args, **kwargs)
        set_acceptance_labels(self)


class SignupCheckoutForm(BillingDetailsForm, CheckoutForm):
    """A visitor signs up while ordering: who they are and what their invoices need (the
    sign-up's rules), a password, and their acceptance of the terms and the privacy notice."""

    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=128)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    accept_privacy = forms.BooleanField(label=_("I have read the privacy notice"))

    field_order = ["kind", "company_name", "name", "email", "password", "country", "fiscal_code",
                   "vat_number", "recipient_code", "pec", "address", "postcode", "city",
                   "province", "language", "coupon", "accept_terms", "accept_privacy"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = (get_language() or "it")[:2]
        set_acceptance_labels(self)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("This address has an account already: sign in to order."))
        return email

    def clean_password(self):
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class RefuseForm(forms.Form):
    message = forms.CharField(label=_("Message to the client"), max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class PlanForm(forms.Form):
    product = forms.IntegerField(min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
