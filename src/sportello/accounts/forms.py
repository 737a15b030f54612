from allauth.mfa.totp.internal.auth import validate_totp_code
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import actions
from .countries import country_choices
from .fiscal import clean_fiscal_code, clean_vat_number
from .models import AccountContact, Client


class SignupForm(forms.Form):
    """Extra fields on allauth's registration form: who the new client is."""

    name = forms.CharField(label=_("Full name"), max_length=150)
    kind = forms.ChoiceField(label=_("You are"), choices=Client.Kind.choices)
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    country = forms.ChoiceField(label=_("Country"))

    field_order = ["name", "kind", "company_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()
        self.fields["country"].initial = "IT"
        self.fields["language"].initial = (get_language() or "it")[:2]

    def clean(self):
        data = super().clean()
        if data.get("kind") == Client.Kind.COMPANY and not data.get("company_name"):
            self.add_error("company_name", _("A company needs its company name."))
        return data

    def signup(self, request, user):
        actions.register_client(request, user, self.cleaned_data)


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    country = forms.ChoiceField(label=_("Country"))

    class Meta:
        model = Client
        fields = [
            "kind",
            "name",
            "company_name",
            "fiscal_code",
            "vat_number",
            "address",
            "postcode",
            "city",
            "province",
            "country",
            "phone",
            "news_by_email",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()
        self.fields["language"].initial = self.instance.owner.language

    def clean(self):
        data = super().clean()
        country = data.get("country") or ""
        for field, check in (("fiscal_code", clean_fiscal_code), ("vat_number", clean_vat_number)):
            try:
                data[field] = check(data.get(field) or "", country)
            except ValidationError as error:
                self.add_error(field, error)
        if data.get("kind") == Client.Kind.COMPANY:
            if not data.get("company_name"):
                self.add_error("company_name", _("A company needs its company name."))
            if country == "IT" and not data.get("vat_number") and "vat_number" not in self.errors:
                self.add_error("vat_number", _("An Italian company needs its partita IVA."))
        return data


class ContactAddressForm(forms.Form):
    email = forms.EmailField(label=_("New address for communications"))
    keep_hosted = forms.BooleanField(
        label=_("I understand, use this address anyway"), required=False
    )

    def __init__(self, *args, client, hosted_domain_of, **kwargs):
        """`hosted_domain_of(client, email)`: the domain of `email` when the client hosts
        it with us (services knows; accounts sits below it)."""
        self.client = client
        self.hosted_domain_of = hosted_domain_of
        self.user = client.owner
        self.hosted_domain = None
        super().__init__(*args, **kwargs)

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email == self.user.email.lower():
            raise ValidationError(_("This is already your registered address."))
        # An address of another account is not refused here: the answer would tell anyone
        # which addresses have accounts. request_contact_change deals with it.
        return email

    def clean(self):
        data = super().clean()
        email = data.get("email")
        if email:
            self.hosted_domain = self.hosted_domain_of(self.client, email)
            if self.hosted_domain and not data.get("keep_hosted"):
                self.add_error(
                    "keep_hosted",
                    _(
                        "%(domain)s is hosted with us: if that service stops, you stop "
                        "receiving our messages. We recommend an external mailbox."
                    )
                    % {"domain": self.hosted_domain},
                )
        return data


class StaffEnrolmentForm(forms.Form):
    """The invited staff member's password and the first code of their authenticator app."""

    password1 = forms.CharField(label=_("Choose a password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password (again)"), widget=forms.PasswordInput)
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args, user, secret, **kwargs):
        self.user = user
        self.secret = secret
        super().__init__(*args, **kwargs)

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data["password2"]
        if first and first != second:
            raise ValidationError(_("The two passwords differ."))
        password_validation.validate_password(second, self.user)
        return second

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not validate_totp_code(self.secret, code):
            raise ValidationError(_("This code is not right: type the one the app shows now."))
        return code


class AccountContactForm(forms.ModelForm):
    class Meta:
        model = AccountContact
        fields = ["name", "email", "billing", "technical", "may_open_tickets"]

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if email == self.client.contact_email.lower():
            raise ValidationError(
                _("This is already the account's address: every email reaches it.")
            )
        if self.client.contacts.filter(email__iexact=email).exists():
            raise ValidationError(_("This person is already a contact of the account."))
        return email

    def clean(self):
        data = super().clean()
        if not (data.get("billing") or data.get("technical") or data.get("may_open_tickets")):
            raise ValidationError(
                _("Choose what this contact receives or may do: billing, technical or tickets.")
            )
        return data


class NotificationsForm(forms.Form):
    news_by_email = forms.BooleanField(
        label=_("News and offers from us"),
        required=False,
        help_text=_("You can stop them at any time; each news email also has a link to stop."),
    )
