from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Self, TypeVar

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TranslatedName(models.Model):
    """A row a provider edits, named in the three languages of the panel."""

    name = models.CharField(_("name (Italian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=120, blank=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.label

    def name_in(self, language: str | None = None) -> str:
        """The name in `language` (the active one by default), Italian when missing."""
        language = (language or get_language() or settings.LANGUAGE_CODE)[:2]
        return getattr(self, f"name_{language}", "") or self.name

    @property
    def label(self) -> str:
        return self.name_in()


# What was already read in the current unit of work (see `settings_read_once`): settings
# rows by their class, other configuration by a key of the reader's choosing.
_settings_read: ContextVar[dict[Hashable, Any] | None] = ContextVar("settings_read", default=None)

T = TypeVar("T")


@contextmanager
def settings_read_once() -> Iterator[None]:
    """Within this block each settings row, and whatever `read_once` loads, is read from the
    database once: one unit of work (a batch of inbound messages, a delivery batch) sees one
    consistent configuration, and a change made by staff applies from the next unit."""
    token = _settings_read.set({})
    try:
        yield
    finally:
        _settings_read.reset(token)


def read_once(key: Hashable, load: Callable[[], T]) -> T:
    """`load()` once per unit of work under `key` (configuration staff rarely change, such
    as the departments or the response targets); outside a unit of work, at every call."""
    read = _settings_read.get()
    if read is None:
        return load()
    if key not in read:
        read[key] = load()
    return read[key]


class SettingsRow(models.Model):
    """Provider settings kept as one row, edited in the admin and created on first use."""

    class Meta:
        abstract = True

    @classmethod
    def current(cls) -> Self:
        read = _settings_read.get()
        if read is None:
            return cls._default_manager.get_or_create(pk=1)[0]
        row = read.get(cls)
        if not isinstance(row, cls):
            row = read[cls] = cls._default_manager.get_or_create(pk=1)[0]
        return row


class Provider(SettingsRow):
    """The provider running this Sportello: one row, edited in the admin."""

    name = models.CharField(_("name"), max_length=120, default="Sportello Hosting")
    legal_name = models.CharField(_("legal name"), max_length=200, blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    address = models.TextField(_("address"), blank=True)
    website = models.URLField(_("website"), blank=True)
    support_email = models.EmailField(_("support address"), default="hd@sportello.example")
    sales_email = models.EmailField(_("sales address"), default="sales@sportello.example")
    cookie_policy_url = models.CharField(_("cookie policy URL"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("provider")

    def __str__(self):
        return self.name


class AuditEvent(models.Model):
    """A security-relevant event or a staff action, kept as the historical record."""

    class Action(models.TextChoices):
        LOGIN = "login", _("Login")
        LOGIN_FAILED = "login_failed", _("Failed login")
        LOGOUT = "logout", _("Logout")
        SIGNUP = "signup", _("Registration")
        EMAIL_CONFIRMED = "email_confirmed", _("Address confirmed")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset")
        MFA_ENABLED = "mfa_enabled", _("Two-factor login enabled")
        MFA_DISABLED = "mfa_disabled", _("Two-factor login disabled")
        STAFF_INVITED = "staff_invited", _("Staff member invited to enrol")
        CONTACT_CHANGE_REQUESTED = "contact_change_requested", _("Contact address change requested")
        CONTACT_CHANGED = "contact_changed", _("Contact address changed")
        PROFILE_CHANGED = "profile_changed", _("Profile changed")
        SERVICE_CREATED = "service_created", _("Service created")
        STAFF_VIEWED_CLIENT = "staff_viewed_client", _("Staff opened a client")
        STAFF_CHANGED_CLIENT = "staff_changed_client", _("Staff changed a client")
        INVOICE_ISSUED = "invoice_issued", _("Invoice issued")
        CREDIT_NOTE_ISSUED = "credit_note_issued", _("Credit note issued")
        PAYMENT_RECORDED = "payment_recorded", _("Payment recorded")
        PAYMENT_REPORTED = "payment_reported", _("Payment reported by the client")
        PAYMENT_REPORT_REJECTED = "payment_report_rejected", _("Payment report rejected")
        CREDIT_APPLIED = "credit_applied", _("Credit applied")
        COUPON_APPLIED = "coupon_applied", _("Coupon applied")
        CHARGE_ADDED = "charge_added", _("Extra charge added")
        QUOTE_SENT = "quote_sent", _("Quote sent")
        QUOTE_ACCEPTED = "quote_accepted", _("Quote accepted")
        STATEMENT_IMPORTED = "statement_imported", _("Bank statement imported")
        CANCELLATION_REQUESTED = "cancellation_requested", _("Cancellation requested")
        UPGRADE_REQUESTED = "upgrade_requested", _("Upgrade requested")
        TICKET_OPENED = "ticket_opened", _("Ticket opened")
        TICKET_MERGED = "ticket_merged", _("Ticket merged")
        TICKET_MOVED = "ticket_moved", _("Ticket moved")
        TICKETS_CHANGED_IN_BULK = "tickets_bulk", _("Ticket changed from the queue, with others")
        REQUEST_CONFIRMED = "request_confirmed", _("Held request confirmed")
        REQUEST_REJECTED = "request_rejected", _("Held request rejected")
        MIGRATION_OPENED = "migration_opened", _("Server migration announced")
        MIGRATION_UPDATED = "migration_updated", _("Server migration step recorded")
        MONITOR_CHANGED = "monitor_changed", _("Server monitoring changed")
        ARTICLE_SAVED = "article_saved", _("Knowledge-base article saved")
        ARTICLE_PUBLISHED = "article_published", _("Knowledge-base article published")
        ARTICLE_UNPUBLISHED = "article_unpublished", _("Knowledge-base article withdrawn")
        NEWS_SAVED = "news_saved", _("News item saved")
        NEWS_MAILED = "news_mailed", _("News item mailed to clients")
        EINVOICE_RESENT = "einvoice_resent", _("Rejected e-invoice prepared to send again")
        EINVOICE_CORRECTED = "einvoice_corrected", _("Rejected e-invoice replaced by a new invoice")
        EINVOICE_RECEIPT_UPLOADED = "einvoice_receipt_uploaded", _("SdI receipt uploaded")
        EINVOICES_EXPORTED = "einvoices_exported", _("E-invoices exported for the accountant")
        CANCELLATION_WITHDRAWN = "cancellation_withdrawn", _("Cancellation withdrawn")
        ACCOUNT_CONTACT_ADDED = "account_contact_added", _("Account contact added")
        ACCOUNT_CONTACT_REMOVED = "account_contact_removed", _("Account contact removed")
        SESSION_ENDED = "session_ended", _("Session ended by the client")
        NOTIFICATIONS_CHANGED = "notifications_changed", _("Notification preferences changed")
        DATA_EXPORT_REQUESTED = "data_export_requested", _("Personal data export requested")
        ERASURE_REQUESTED = "erasure_requested", _("Erasure of personal data requested")
        ERASURE_APPLIED = "erasure_applied", _("Personal data erased")
        LEGAL_HOLD_RELEASED = "legal_hold_released", _("Legal hold ended: held data erased")
        DESK_CONFIG_CHANGED = "desk_config_changed", _("Help-desk configuration changed")
        JOB_RUN_BY_HAND = "job_run_by_hand", _("Scheduled job run by hand")
        IMPERSONATION_STARTED = "impersonation_started", _("Staff viewed the account as the client")
        IMPERSONATION_ENDED = "impersonation_ended", _("Staff stopped viewing as the client")
        BANK_ENTRY_CREDITED = "bank_entry_credited", _("Bank credit added to the client's credit")
        API_TOKEN_CREATED = "api_token_created", _("API token created")
        API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
        API_WRITE = "api_write", _("Change made through the API")
        WEBHOOK_CHANGED = "webhook_changed", _("Webhook endpoint changed")
        BANK_ENTRY_DISMISSED = (
            "bank_entry_dismissed",
            _("Bank credit marked as not a client payment"),
        )

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="audit_events",
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        # Given to staff (or a group) who, beside administrators, may view the client area
        # as a client (read-only).
        permissions = [("impersonate_client", _("Can view the client area as a client"))]
        indexes = [models.Index(fields=["client", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()}"


class OfficeCalendar(SettingsRow):
    """The provider's working days (HD-9): Monday to Friday, less the national holidays of
    its country, those of its region if it has one, and its own closing days."""

    country = models.CharField(_("country of the national holidays"), max_length=2, default="IT")
    region = models.CharField(
        _("region or province"),
        max_length=10,
        blank=True,
        help_text=_(
            "Its holidays count too (e.g. MI: Saint Ambrose on 7 December; for Spain the "
            "autonomous community, e.g. MD). Empty: national holidays only."
        ),
    )

    class Meta:
        verbose_name = _("office calendar")
        verbose_name_plural = _("office calendar")

    def __str__(self):
        return f"{self.country} {self.region}".strip()


class ClosingDay(models.Model):
    """A day the provider's office is closed: 24 December, the August closure, a patron
    saint. SLA clocks, payment reviews and migration slots skip it."""

    day = models.DateField(_("day"))
    name = models.CharField(_("name"), max_length=120)
    every_year = models.BooleanField(
        _("every year"), default=False, help_text=_("The same day and month in every year.")
    )

    class Meta:
        verbose_name = _("closing day")
        verbose_name_plural = _("closing days")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%d/%m}{'' if self.every_year else f'/{self.day:%Y}'} {self.name}"
