from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from sportello.core import access


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> "User":
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.update(is_staff=True, is_superuser=True, role=User.Role.ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A login: a client's owner or a staff member. The email is the login and the
    registered contact address (ACC-5); allauth changes it only after confirmation."""

    class Role(models.TextChoices):
        CLIENT = "", _("Client")
        # The values live in core.access, which the apps below accounts check against.
        ADMIN = access.ADMIN, _("Administrator")
        BILLING = access.BILLING, _("Billing clerk")
        AGENT = access.AGENT, _("Agent")

    # No user name: the email is the login. django-stubs types `username` as AbstractUser's
    # field and cannot express a subclass removing it.
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    # Set when mail to this address bounced; cleared when the address changes.
    email_bounced_at = models.DateTimeField(
        _("mail to this address bounced"), null=True, blank=True
    )
    role = models.CharField(_("staff role"), max_length=16, choices=Role.choices, blank=True)
    departments = models.ManyToManyField(
        "helpdesk.Department", verbose_name=_("departments"), blank=True, related_name="agents"
    )

    class TicketAlerts(models.TextChoices):
        EMAIL = "email", _("By email")
        BROWSER = "browser", _("In the browser, while the desk is open")
        BOTH = "both", _("Both")

    # How a staff member hears of a client's reply to a ticket they handle.
    ticket_alerts = models.CharField(
        _("tell me of client replies"),
        max_length=8,
        choices=TicketAlerts.choices,
        default=TicketAlerts.EMAIL,
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    # django-stubs expects the manager of an AbstractUser to be Django's UserManager, which
    # creates users by user name; this one creates them by email, from BaseUserManager as
    # Django documents for a custom user model.
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Staff status follows the role, so no one is staff without one; admins configure
        # everything, so they hold every permission of the admin site.
        if self.role == self.Role.ADMIN:
            self.is_superuser = True
        self.is_staff = bool(self.role) or self.is_superuser
        super().save(*args, **kwargs)

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    @cached_property
    def has_two_factor(self) -> bool:
        from allauth.mfa.utils import is_mfa_enabled

        return is_mfa_enabled(self)


class Tier(models.Model):
    """A client tier (e.g. standard, GOLD); it decides help-desk access (ACC-9)."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=60)
    helpdesk_access = models.BooleanField(_("may use the help desk"), default=True)
    access_instructions = models.TextField(
        _("how to get help-desk access"),
        blank=True,
        help_text=_("Shown to clients of this tier who may not open tickets."),
    )
    is_default = models.BooleanField(_("default for new clients"), default=False)

    class Meta:
        verbose_name = _("client tier")
        verbose_name_plural = _("client tiers")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def default(cls) -> "Tier | None":
        return cls.objects.filter(is_default=True).first()


class Client(models.Model):
    """The provider's customer: a person or a company, owned by one login."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Private person")
        COMPANY = "company", _("Company")

    owner = models.OneToOneField(
        User, verbose_name=_("login"), on_delete=models.PROTECT, related_name="client"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("full name"), max_length=150)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    fiscal_code = models.CharField(_("tax code"), max_length=32, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=60, blank=True)
    country = models.CharField(_("country"), max_length=2, default="IT")
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    news_by_email = models.BooleanField(
        _("news by email"),
        default=True,
        help_text=_("The provider's news, mailed to all clients. Notices about your services, "
                    "invoices and tickets are always sent."),
    )  # fmt: skip
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("client since"), auto_now_add=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name", "id"])]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return (
            self.company_name if self.kind == self.Kind.COMPANY and self.company_name else self.name
        )

    @property
    def contact_email(self) -> str:
        return self.owner.email

    @property
    def language(self) -> str:
        return self.owner.language

    def copy_addresses(self, template: str) -> list[str]:
        """The account contacts who receive a copy of this kind of email."""
        if template not in BILLING_TEMPLATES | TECHNICAL_TEMPLATES:
            return []
        return [c.email for c in self.contacts.all() if c.follows(template)]

    @property
    def may_use_helpdesk(self) -> bool:
        return self.tier is None or self.tier.helpdesk_access


# Emails by the kind of matter they are about: an account contact receives copies of the
# kinds they follow. Names are the mail templates' (the apps above accounts own them).
BILLING_TEMPLATES = frozenset({
    "invoice_issued", "quote_sent", "expiry_notice", "renewal_stopped",
    "cancellation_recorded", "service_suspended", "domain_on_hold",
})  # fmt: skip
TECHNICAL_TEMPLATES = frozenset({
    "ticket_opened", "ticket_reply", "ticket_status", "quota_exceeded", "service_suspended",
    "domain_on_hold", "attachments_dropped", "text_unreadable", "service_status_by_staff",
})  # fmt: skip


class AccountContact(models.Model):
    """Another person on the account (the accountant, the web agency): copies of the
    emails of their kind, and tickets opened from their address. The registered contact
    address stays the one for every communication (ACC-5)."""

    client = models.ForeignKey(
        Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("email address"))
    billing = models.BooleanField(
        _("billing"), default=False, help_text=_("Copies of invoices, quotes and renewal notices.")
    )
    technical = models.BooleanField(
        _("technical"), default=False, help_text=_("Copies of ticket and service notices.")
    )
    may_open_tickets = models.BooleanField(
        _("may open tickets by email"), default=False,
        help_text=_("Mail from this address to the help desk opens or answers this account's "
                    "tickets."),
    )  # fmt: skip
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("account contact")
        verbose_name_plural = _("account contacts")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "client", name="one_contact_per_address")
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"

    def follows(self, template: str) -> bool:
        return (self.billing and template in BILLING_TEMPLATES) or (
            self.technical and template in TECHNICAL_TEMPLATES
        )


class SignedInSession(models.Model):
    """A browser signed in to an account, so its owner can see where they are signed in
    and end any of those sessions from the security page."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("signed in"))

    class Meta:
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")
        ordering = ["-created_at", "-id"]


class Consent(models.Model):
    """A document the client accepted: which one, in which version, when and from where."""

    class Document(models.TextChoices):
        TERMS = "terms", _("Terms of service")
        PRIVACY = "privacy", _("Privacy notice")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("login"), on_delete=models.CASCADE,
        related_name="consents",
    )  # fmt: skip
    client = models.ForeignKey(
        Client, verbose_name=_("client"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="consents",
    )  # fmt: skip
    document = models.CharField(_("document"), max_length=10, choices=Document.choices)
    version = models.CharField(_("version"), max_length=40)
    accepted_at = models.DateTimeField(_("accepted"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        ordering = ["-accepted_at", "-id"]

    def __str__(self):
        return f"{self.get_document_display()} {self.version}"
