from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Order(models.Model):
    """What a client bought at checkout: its services (being activated) and one invoice.
    Accepted when the invoice is paid, or earlier by staff for a trusted client; refused by
    staff with a message."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for payment")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    client = models.ForeignKey(
        "accounts.Client", verbose_name=_("client"), on_delete=models.PROTECT,
        related_name="orders",
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    invoice = models.OneToOneField(
        "billing.Invoice", verbose_name=_("invoice"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="order",
    )  # fmt: skip
    coupon = models.CharField(_("coupon"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("placed"), auto_now_add=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    refusal = models.TextField(_("reason for refusal"), blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"#{self.pk}"


class OrderItem(models.Model):
    class Kind(models.TextChoices):
        NEW = "new", _("New")
        REGISTER = "register", _("Domain registration")
        TRANSFER = "transfer", _("Domain transfer")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.PROTECT
    )
    service = models.OneToOneField(
        "services.Service", verbose_name=_("service"), on_delete=models.PROTECT,
        related_name="order_item",
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NEW)
    cycle_months = models.PositiveSmallIntegerField(_("billing cycle in months"))
    price = models.DecimalField(_("net price"), max_digits=10, decimal_places=2)
    # A transfer's auth code, handed to the registrar and cleared once the transfer is asked.
    auth_code = models.CharField(_("auth code"), max_length=100, blank=True)

    class Meta:
        ordering = ["id"]


class TrustedClient(models.Model):
    """A client whose orders staff may accept before payment (services provisioned at once,
    the invoice paid later)."""

    client = models.OneToOneField(
        "accounts.Client", verbose_name=_("client"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    note = models.CharField(_("why"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("trusted client")
        verbose_name_plural = _("trusted clients")


class PlanChange(models.Model):
    """A running service moved to another plan of the same type: the difference for the
    rest of the period, worked out when the client confirms it. An upgrade waits for its
    invoice to be paid; a downgrade (credited) or an even change is made at once."""

    class Status(models.TextChoices):
        AWAITING_PAYMENT = "awaiting", _("Waiting for payment")
        APPLIED = "applied", _("Made")
        CANCELLED = "cancelled", _("Cancelled")

    service = models.ForeignKey(
        "services.Service", verbose_name=_("service"), on_delete=models.CASCADE,
        related_name="plan_changes",
    )  # fmt: skip
    from_product = models.ForeignKey(
        "catalog.Product", verbose_name=_("from"), on_delete=models.PROTECT, related_name="+"
    )
    to_product = models.ForeignKey(
        "catalog.Product", verbose_name=_("to"), on_delete=models.PROTECT, related_name="+"
    )
    old_price = models.DecimalField(_("old price"), max_digits=10, decimal_places=2)
    new_price = models.DecimalField(_("new price"), max_digits=10, decimal_places=2)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    changed_on = models.DateField(_("changed on"))
    # Net, signed: invoiced above zero, credited below.
    amount = models.DecimalField(_("difference"), max_digits=10, decimal_places=2)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    invoice = models.ForeignKey(
        "billing.Invoice", verbose_name=_("invoice"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    credit_note = models.ForeignKey(
        "billing.Invoice", verbose_name=_("credit note"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("asked by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("asked"), auto_now_add=True)
    applied_at = models.DateTimeField(_("made"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan change")
        verbose_name_plural = _("plan changes")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One change at a time waits for payment on a service.
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(status="awaiting"),
                name="one_plan_change_awaiting_payment",
            )  # fmt: skip
        ]
