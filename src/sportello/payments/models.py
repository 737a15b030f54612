"""Online payments: the providers' settings, checkouts, saved methods and their consent,
the inbox of the providers' events, off-session charges and refunds."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from sportello.billing.models import MONEY
from sportello.core.models import SettingsRow


class PaymentSettings(SettingsRow):
    """The providers' credentials and switches. Secret keys are written in the admin and
    never shown back (see admin.py)."""

    class Mode(models.TextChoices):
        TEST = "test", _("Test (no real money)")
        LIVE = "live", _("Live")

    mode = models.CharField(_("mode"), max_length=4, choices=Mode.choices, default=Mode.TEST)
    stripe_enabled = models.BooleanField(_("Stripe: cards"), default=False)
    stripe_sepa_enabled = models.BooleanField(_("Stripe: SEPA direct debit"), default=False)
    stripe_publishable_key = models.CharField(
        _("Stripe: publishable key"), max_length=200, blank=True
    )
    stripe_secret_key = models.CharField(_("Stripe: secret key"), max_length=200, blank=True)
    stripe_webhook_secret = models.CharField(
        _("Stripe: webhook signing secret"), max_length=200, blank=True
    )
    stripe_api_base = models.URLField(
        _("Stripe: API address"), blank=True, help_text=_("Empty: Stripe's own.")
    )
    paypal_enabled = models.BooleanField(_("PayPal"), default=False)
    paypal_client_id = models.CharField(_("PayPal: client id"), max_length=200, blank=True)
    paypal_client_secret = models.CharField(_("PayPal: client secret"), max_length=200, blank=True)
    paypal_webhook_id = models.CharField(_("PayPal: webhook id"), max_length=100, blank=True)
    paypal_api_base = models.URLField(
        _("PayPal: API address"),
        blank=True,
        help_text=_("Empty: PayPal's sandbox in test mode, PayPal's live API in live mode."),
    )
    paypal_currency = models.CharField(
        _("PayPal: currency charged"),
        max_length=3,
        default="EUR",
        help_text=_("Amounts are converted from euro at the day's exchange rate."),
    )
    dunning_days = models.CharField(
        _("auto-pay retries (days after the invoice)"),
        max_length=40,
        default="1,3,7",
        help_text=_("Comma-separated; the first charge is made on the day the invoice is issued."),
    )
    consent_version = models.CharField(
        _("version of the auto-pay consent text"), max_length=20, default="2026-01"
    )

    class Meta:
        verbose_name = _("online payment settings")
        verbose_name_plural = _("online payment settings")

    def __str__(self):
        return str(_("Online payment settings"))

    def clean(self):
        errors = {}
        try:
            days = self.retry_days()
        except ValueError:
            errors["dunning_days"] = _("Write whole days separated by commas, e.g. 1,3,7.")
        else:
            late = self.retry_after_suspension(days)
            if late:
                errors["dunning_days"] = late
        live = self.mode == self.Mode.LIVE
        for field in ("stripe_secret_key", "stripe_publishable_key"):
            key = getattr(self, field)
            if key and (("_live_" in key) != live):
                errors[field] = _("This key does not belong to the chosen mode.")
        self.paypal_currency = self.paypal_currency.upper()
        if errors:
            raise ValidationError(errors)

    def retry_after_suspension(self, days: list[int]) -> str:
        """Retries end before the suspension rules apply: an unpaid renewal is suspended,
        at the earliest, the renewal terms' lead days plus grace days after its invoice."""
        from sportello.catalog.models import ProductType
        from sportello.services.models import RenewalTerms
        from sportello.services.renewals import DEFAULT_TERMS

        if not days:
            return ""
        every = list(RenewalTerms.objects.all())
        if set(ProductType.values) - {t.product_type for t in every}:
            every.append(DEFAULT_TERMS)  # the product types without terms of their own
        terms = min(every, key=lambda t: t.invoice_lead_days + t.grace_days)
        if days[-1] < terms.invoice_lead_days + terms.grace_days:
            return ""
        kind = terms.product_type
        return _(
            "The last retry, %(day)s days after the invoice, would come after the service "
            "is suspended: %(type)s renewals are suspended %(window)s days after their "
            "invoice. Use retry days below %(window)s."
        ) % {
            "day": days[-1],
            "type": ProductType(kind).label if kind in ProductType.values else _("service"),
            "window": terms.invoice_lead_days + terms.grace_days,
        }

    def retry_days(self) -> list[int]:
        days = sorted({int(part) for part in self.dunning_days.split(",") if part.strip()})
        if any(day < 1 or day > 60 for day in days):
            raise ValueError("retry days must be between 1 and 60")
        return days


class Method(models.TextChoices):
    CARD = "card", pgettext_lazy("online payment method", "Card")
    SEPA_DEBIT = "sepa_debit", pgettext_lazy("online payment method", "SEPA direct debit")
    PAYPAL = "paypal", pgettext_lazy("online payment method", "PayPal")


class ProviderCustomer(models.Model):
    """The client as a provider knows them (a Stripe customer)."""

    client = models.ForeignKey(
        "accounts.Client", on_delete=models.CASCADE, related_name="provider_customers"
    )
    provider = models.CharField(max_length=20)
    mode = models.CharField(max_length=4)
    customer_id = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "provider", "mode"], name="one_customer")
        ]


class Checkout(models.Model):
    """One payment the client starts for one or several invoices."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("online payment status", "Not completed yet")
        PENDING = "pending", pgettext_lazy("online payment status", "Payment pending")
        PAID = "paid", pgettext_lazy("online payment status", "Paid")
        FAILED = "failed", pgettext_lazy("online payment status", "Failed")
        CANCELLED = "cancelled", pgettext_lazy("online payment status", "Cancelled")

    client = models.ForeignKey(
        "accounts.Client", on_delete=models.PROTECT, related_name="checkouts",
        verbose_name=_("client"),
    )  # fmt: skip
    provider = models.CharField(_("provider"), max_length=20)
    mode = models.CharField(_("mode"), max_length=4)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    amount = models.DecimalField(_("amount in EUR"), **MONEY)
    currency = models.CharField(_("currency charged"), max_length=3, default="EUR")
    charged_amount = models.DecimalField(_("amount charged"), **MONEY)
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=16, decimal_places=6, default=Decimal(1)
    )
    # The provider's session or order id, and the id of the money once there is one.
    session_id = models.CharField(_("provider's checkout id"), max_length=200, blank=True)
    payment_id = models.CharField(_("provider's payment id"), max_length=200, blank=True)
    redirect_url = models.URLField(max_length=2000, blank=True)
    save_method = models.BooleanField(_("save the method for renewals"), default=False)
    # Off-session charges made by auto-pay carry their attempt.
    attempt = models.OneToOneField(
        "ChargeAttempt", null=True, blank=True, on_delete=models.PROTECT, related_name="checkout"
    )
    failure = models.CharField(_("failure"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("checkout")
        verbose_name_plural = _("checkouts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "session_id"], condition=~Q(session_id=""),
                name="checkout_session_once",
            ),
        ]  # fmt: skip

    def __str__(self):
        return f"{self.provider} {self.session_id or self.pk}"


class CheckoutInvoice(models.Model):
    checkout = models.ForeignKey(Checkout, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="checkout_items"
    )
    amount = models.DecimalField(**MONEY)
    payment = models.OneToOneField(
        "billing.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkout", "invoice"], name="invoice_once_per_checkout"
            )
        ]


class SavedMethod(models.Model):
    """A card, a SEPA mandate or a PayPal vault token the client allowed us to charge."""

    client = models.ForeignKey(
        "accounts.Client", on_delete=models.CASCADE, related_name="saved_methods",
        verbose_name=_("client"),
    )  # fmt: skip
    provider = models.CharField(_("provider"), max_length=20)
    mode = models.CharField(_("mode"), max_length=4)
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    token = models.CharField(max_length=200)
    label = models.CharField(_("label"), max_length=100)
    mandate = models.CharField(_("mandate reference"), max_length=100, blank=True)
    default = models.BooleanField(_("used for auto-pay"), default=False)
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("saved payment method")
        verbose_name_plural = _("saved payment methods")
        ordering = ["-default", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "token"], name="saved_method_once"),
        ]

    def __str__(self):
        return self.label


class AutoPay(models.Model):
    """Whether renewals are charged to the client's saved method."""

    client = models.OneToOneField(
        "accounts.Client", on_delete=models.CASCADE, related_name="autopay"
    )
    enabled = models.BooleanField(_("auto-pay"), default=False)
    changed_at = models.DateTimeField(auto_now=True)


class Consent(models.Model):
    """Who agreed to what, when, under which version of the text (kept when withdrawn)."""

    class Kind(models.TextChoices):
        SAVE_METHOD = "save_method", _("Save a payment method")
        AUTOPAY_ON = "autopay_on", _("Auto-pay switched on")
        AUTOPAY_OFF = "autopay_off", _("Auto-pay switched off")
        METHOD_REMOVED = "method_removed", _("Payment method removed")

    client = models.ForeignKey("accounts.Client", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text_version = models.CharField(max_length=20)
    text = models.TextField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class ChargeAttempt(models.Model):
    """An off-session charge of a renewal invoice: one per invoice and attempt number, so a
    second daily run never charges again, and the idempotency key is the same on a retry."""

    class Status(models.TextChoices):
        STARTED = "started", pgettext_lazy("auto-pay charge status", "Started")
        SUCCEEDED = "succeeded", pgettext_lazy("auto-pay charge status", "Succeeded")
        PENDING = "pending", pgettext_lazy("auto-pay charge status", "Pending")
        AUTHENTICATION = (
            "authentication",
            pgettext_lazy("auto-pay charge status", "Authentication required: pay link sent"),
        )
        FAILED = "failed", pgettext_lazy("auto-pay charge status", "Failed")

    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="charge_attempts"
    )
    number = models.PositiveSmallIntegerField()
    method = models.ForeignKey(SavedMethod, on_delete=models.PROTECT, related_name="attempts")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STARTED)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "number"], name="one_attempt_per_number")
        ]

    @property
    def idempotency_key(self) -> str:
        return f"sportello-invoice-{self.invoice_id}-attempt-{self.number}"


class WebhookEvent(models.Model):
    """A provider's event as received: stored once per provider event id, answered at
    once, applied by a task that asks the provider for the object's current state."""

    class Status(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("payment service event status", "Received")
        APPLIED = "applied", pgettext_lazy("payment service event status", "Applied")
        IGNORED = "ignored", pgettext_lazy("payment service event status", "Nothing to do")
        FAILED = "failed", pgettext_lazy("payment service event status", "Failed, will be retried")

    provider = models.CharField(_("provider"), max_length=20)
    event_id = models.CharField(_("event id"), max_length=200)
    type = models.CharField(_("type"), max_length=100)
    object_id = models.CharField(_("object"), max_length=200, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(_("received"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    duplicates = models.PositiveIntegerField(_("received again"), default=0)

    class Meta:
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="event_once"),
        ]

    def __str__(self):
        return f"{self.provider} {self.type} {self.event_id}"


class Refund(models.Model):
    """Money sent back through the provider, tied to the credit note that justifies it."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("refund status", "Pending")
        SUCCEEDED = "succeeded", pgettext_lazy("refund status", "Refunded")
        FAILED = "failed", pgettext_lazy("refund status", "Failed")

    client = models.ForeignKey("accounts.Client", on_delete=models.PROTECT, related_name="+")
    checkout = models.ForeignKey(Checkout, on_delete=models.PROTECT, related_name="refunds")
    credit_note = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, related_name="provider_refunds",
        verbose_name=_("credit note"),
    )  # fmt: skip
    amount = models.DecimalField(_("amount in EUR"), **MONEY)
    refund_id = models.CharField(_("provider's refund id"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkout", "refund_id"], condition=~Q(refund_id=""), name="refund_once"
            ),
        ]
