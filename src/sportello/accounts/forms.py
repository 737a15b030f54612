from allauth.mfa.totp.internal.auth import validate_totp_code
from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import actions
from .countries import country_choices
from .fiscal import (
    EU_COUNTRIES,
    clean_fiscal_code,
    clean_personal_code,
    clean_recipient_code,
    clean_vat_number,
)
from .models import AccountContact, Client

# The choice as the sign-up form asks it: a professional invoices like a company.
KIND_CHOICES = [
    (Client.Kind.PERSON.value, _("Private person")),
    (Client.Kind.COMPANY.value, _("Company or professional")),
]
ADDRESS_FIELDS = ("address", "postcode", "city")


def check_billing_details(form: forms.BaseForm, data: dict, *, office_code: bool = False) -> None:
    """What an invoice to this client needs, by client type, each error on its field.
    `office_code`: the client is a public administration, whose SdI code has 6 characters."""
    country = data.get("country") or ""
    company = data.get("kind") == Client.Kind.COMPANY
    tax_code = clean_fiscal_code if company else clean_personal_code
    code_length = 6 if office_code else 7
    checks = [("fiscal_code", lambda v: tax_code(v, country)),
              ("vat_number", lambda v: clean_vat_number(v, country)),
              ("recipient_code", lambda v: clean_recipient_code(v, code_length))]  # fmt: skip
    for field, check in checks:
        if field not in form.fields:
            continue
        try:
            data[field] = check(data.get(field) or "")
        except ValidationError as error:
            form.add_error(field, error)

    def missing(field: str) -> bool:
        return field in form.fields and field not in form.errors and not data.get(field)

    for field in ADDRESS_FIELDS:
        if missing(field):
            form.add_error(field, _("Your invoices need it."))
    if company:
        if missing("company_name"):
            form.add_error("company_name", _("A company needs its company name."))
        if country in EU_COUNTRIES and missing("vat_number"):
            form.add_error("vat_number", _("A company or professional in the European Union "
                                           "needs its VAT number."))  # fmt: skip
        if (
            country == "IT"
            and missing("recipient_code")
            and missing("pec")
            and "recipient_code" not in form.errors
        ):
            form.add_error(
                "recipient_code",
                _("Give your SdI recipient code or a PEC address: Italian electronic invoices "
                  "reach you through one of them."),
            )  # fmt: skip
    elif country == "IT" and missing("fiscal_code"):
        form.add_error("fiscal_code", _("A person resident in Italy needs their codice fiscale."))


class BillingDetailsForm(forms.Form):
    """Who the client is and what their invoices need: the sign-up's and the checkout's."""

    kind = forms.ChoiceField(label=_("You are"), choices=KIND_CHOICES, widget=forms.RadioSelect,
                             initial=Client.Kind.PERSON)  # fmt: skip
    name = forms.CharField(label=_("Full name"), max_length=150)
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    fiscal_code = forms.CharField(label=capfirst(_("Tax code")), max_length=32, required=False,
                                  help_text=_("In Italy, the codice fiscale."))  # fmt: skip
    vat_number = forms.CharField(label=capfirst(_("VAT number")), max_length=32, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=16, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    province = forms.CharField(label=_("Province"), max_length=60, required=False)
    country = forms.ChoiceField(label=_("Country"))
    recipient_code = forms.CharField(
        label=capfirst(_("SdI recipient code")), max_length=7, required=False,
        help_text=_("For Italian electronic invoices: this code or a PEC address."),
    )  # fmt: skip
    pec = forms.EmailField(label=capfirst(_("PEC address for invoices")), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()
        self.fields["country"].initial = "IT"

    def clean(self):
        data = super().clean()
        check_billing_details(self, data)
        return data


class SignupForm(BillingDetailsForm):
    """Extra fields on allauth's registration form: who the new client is, and their
    acceptance of the terms and the privacy notice."""

    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    accept_terms = forms.BooleanField(label=_("I accept the terms of service"))
    accept_privacy = forms.BooleanField(label=_("I have read the privacy notice"))

    field_order = ["kind", "company_name", "name", "email", "password1", "password2", "country",
                   "fiscal_code", "vat_number", "recipient_code", "pec", "address", "postcode",
                   "city", "province", "language", "accept_terms", "accept_privacy"]  # fmt: skip

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the checkboxes' labels follow the box
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = (get_language() or "it")[:2]
        set_acceptance_labels(self)

    def signup(self, request, user):
        client = actions.register_client(request, user, self.cleaned_data)
        actions.record_acceptance(request, user, client)


def set_acceptance_labels(form: forms.BaseForm) -> None:
    """The checkboxes link to the documents they accept."""
    links = {
        "accept_terms": (settings.TERMS_URL, _(
            'I accept the <a href="%(url)s" target="_blank">terms of service</a>')),
        "accept_privacy": (settings.PRIVACY_URL, _(
            'I have read the <a href="%(url)s" target="_blank">privacy notice</a>')),
    }  # fmt: skip
    for field, (url, label) in links.items():
        if field in form.fields:
            form.fields[field].label = mark_safe(label % {"url": escape(url)})  # noqa: S308


class ProfileForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("You are"), choices=KIND_CHOICES, widget=forms.RadioSelect)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    country = forms.ChoiceField(label=_("Country"))
    recipient_code = forms.CharField(
        label=capfirst(_("SdI recipient code")), max_length=7, required=False,
        help_text=_("For Italian electronic invoices: this code or a PEC address."),
    )  # fmt: skip
    pec = forms.EmailField(label=capfirst(_("PEC address for invoices")), required=False)

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
            "recipient_code",
            "pec",
            "phone",
            "news_by_email",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = country_choices()
        self.fields["language"].initial = self.instance.owner.language
        # The delivery data is the e-invoice app's, which sits above this one: read here
        # through the relation, saved through actions.invoice_delivery_given.
        delivery = getattr(self.instance, "einvoice_profile", None)
        self.office_code = bool(delivery and delivery.public_administration)
        if delivery is not None:
            self.fields["recipient_code"].initial = delivery.recipient_code
            self.fields["pec"].initial = delivery.pec

    def clean(self):
        data = super().clean()
        check_billing_details(self, data, office_code=self.office_code)
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
