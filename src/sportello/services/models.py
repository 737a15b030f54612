from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from sportello.accounts.models import Client
from sportello.catalog.models import (
    DOMAIN_BOUND_TYPES,
    OperatingSystem,
    Product,
    ProductType,
    RenewalPolicy,
    SupportLevel,
)


class ServiceQuerySet(models.QuerySet["Service"]):
    def for_client(self, client: Client) -> Self:
        return self.filter(client=client)

    def hosting_domain(self, domain: str) -> Self:
        """Live services that carry mail for `domain` or one of its subdomains."""
        return self.filter(
            product__type__in=DOMAIN_BOUND_TYPES,
            status__in=Service.LIVE_STATUSES,
        ).filter(models.Q(name__iexact=domain) | models.Q(name__iendswith="." + domain))

    def for_listing(self) -> Self:
        return self.select_related("product", "parent__product").order_by("expires_on", "id")

    def support_level(self) -> str:
        """The best level among these services' live support plans ("" without one): of a
        client's services, or of a server's add-ons."""
        levels = set(
            self.filter(
                product__type=ProductType.SUPPORT_PLAN, status__in=Service.LIVE_STATUSES
            ).values_list("product__support_level", flat=True)
        )
        best_first = [SupportLevel.GLOBAL, SupportLevel.MANAGED, SupportLevel.EXTENDED,
                      SupportLevel.BASIC]  # fmt: skip
        return next((level for level in best_first if level in levels), "")


class Service(models.Model):
    """One thing a client has with the provider: a domain, a hosting plan, a server…"""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being activated")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended (blocked)")
        EXPIRED = "expired", _("Expired")
        ON_HOLD = "on_hold", _("On hold")
        CANCELLED = "cancelled", _("Cancelled")
        TERMINATED = "terminated", _("Terminated")

    # Out of service until paid (or back under quota): restored when that happens.
    BLOCKED_STATUSES = [Status.SUSPENDED, Status.ON_HOLD, Status.EXPIRED]
    LIVE_STATUSES = [
        Status.PENDING,
        Status.ACTIVE,
        Status.SUSPENDED,
        Status.EXPIRED,
        Status.ON_HOLD,
    ]

    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="services",
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT)
    name = models.CharField(_("domain or name"), max_length=253)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE, db_index=True
    )
    registered_on = models.DateField(_("registered on"))
    expires_on = models.DateField(_("expires on"), db_index=True)
    renewal_policy = models.CharField(_("renewal"), max_length=10, choices=RenewalPolicy.choices)
    cycle_months = models.PositiveSmallIntegerField(_("billing cycle in months"), default=12)
    price = models.DecimalField(_("net price"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("attached to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="addons",
    )
    operating_system = models.CharField(
        _("operating system"), max_length=10, choices=OperatingSystem.choices, blank=True
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    disk_used_mb = models.PositiveIntegerField(_("disk used (MB)"), null=True, blank=True)
    # Suspended because over quota, not for non-payment: back under quota, it is reactivated.
    over_quota = models.BooleanField(_("over disk quota"), default=False)
    cancellation_requested_on = models.DateField(
        _("cancellation requested on"), null=True, blank=True
    )
    cancellation_effective_on = models.DateField(_("cancelled from"), null=True, blank=True)
    cancellation_channel = models.CharField(
        _("cancellation received by"), max_length=20, blank=True
    )
    # Entered by the client before the renewal: the next renewal invoice takes it (BIL-14).
    renewal_coupon = models.ForeignKey(
        "billing.Coupon", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("coupon for the next renewal"),
    )  # fmt: skip

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["expires_on", "id"]
        indexes = [models.Index(fields=["client", "expires_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gt=models.F("registered_on")),
                name="service_expires_after_registration",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.product})"

    def clean(self) -> None:
        # The admin's form lands here: a support plan only where it applies (SRV-10).
        from sportello.catalog.models import ProductType
        from sportello.catalog.rules import check_support_plan

        if self.product_id and self.product.type == ProductType.SUPPORT_PLAN:
            if self.parent is None or self.parent.client_id != self.client_id:
                raise ValidationError(
                    {"parent": _("A support plan must be attached to one of the client's servers.")}
                )
            check_support_plan(self.product, self.parent.product.type, self.parent.operating_system)

    @property
    def is_blocked(self) -> bool:
        return self.status in {self.Status.SUSPENDED, self.Status.ON_HOLD}


class RenewalTerms(models.Model):
    """Renewal lead time and notice days of one product type (BIL-5, BIL-6): settings
    seeded from the seeds (hosting 10 days, domains 60)."""

    product_type = models.CharField(_("product type"), max_length=20, unique=True)
    invoice_lead_days = models.PositiveSmallIntegerField(
        _("renewal invoice this many days before expiry"), default=10
    )
    grace_days = models.PositiveSmallIntegerField(
        _("unpaid services suspended this many days after the invoice's due date"), default=0
    )
    terminate_after_days = models.PositiveSmallIntegerField(
        _("terminated (domains released) this many days after expiry if unpaid"), default=30
    )
    cancellation_notice_days = models.PositiveSmallIntegerField(
        _("cancellations in time this many days before expiry"),
        default=60,
        help_text=_(
            "A cancellation received by then ends the service at expiry and calls off a "
            "renewal invoice already issued; a later one still owes the renewal (SRV-4)."
        ),
    )
    notice_days = models.CharField(
        _("expiry notices, days before expiry"),
        max_length=100,
        default="30,15,7,3,1,0,-3,-7",
        help_text=_("Comma-separated; negative numbers are days after expiry."),
    )

    class Meta:
        verbose_name = _("renewal terms")
        verbose_name_plural = _("renewal terms")

    def __str__(self):
        return self.product_type

    @property
    def notice_offsets(self) -> list[int]:
        return sorted({int(part) for part in self.notice_days.split(",") if part.strip()})


class ServiceRenewal(models.Model):
    """The claim on renewing one service for one period: unique, so a renewal invoice is
    never issued twice for the same period, whoever runs the job and however often."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="renewals")
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="renewals"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "period_start"], name="one_renewal_per_period"
            )
        ]


class ServiceNotice(models.Model):
    """An expiry notice sent: at most one per service, expiry date and offset."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="notices")
    expires_on = models.DateField()
    days_before = models.SmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "expires_on", "days_before"], name="one_notice_per_offset"
            )
        ]


class ProvisioningTask(models.Model):
    """What a change of status asks staff to do on the servers (suspend the website and
    mail of a service, restore them, remove them) until a provisioning module does it: the
    desk lists the open ones, and who did each and when."""

    class Action(models.TextChoices):
        SUSPEND = "suspend", _("Suspend website and mail")
        RESTORE = "restore", _("Restore website and mail")
        REMOVE = "remove", _("Remove the service from the servers")

    service = models.ForeignKey(
        Service, verbose_name=_("service"), on_delete=models.CASCADE, related_name="tasks"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    day = models.DateField(_("asked on"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("done by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("provisioning task")
        verbose_name_plural = _("provisioning tasks")
        ordering = ["day", "id"]
        constraints = [
            # A job run twice the same day asks once.
            models.UniqueConstraint(
                fields=["service", "action", "day"], name="one_task_per_service_action_day"
            )
        ]
        indexes = [models.Index(fields=["done_at", "day"], name="open_tasks")]

    def __str__(self):
        return f"{self.get_action_display()}: {self.service}"
