from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from .localized import localized


class ProductType(models.TextChoices):
    DOMAIN = "domain", _("Domain")
    HOSTING = "hosting", _("Shared hosting")
    MAILBOX = "mailbox", _("Mailbox")
    PEC = "pec", _("Certified email (PEC)")
    VPS = "vps", _("VPS")
    CLOUD_MAIL = "cloud_mail", _("Cloud mail")
    SMTP_RELAY = "smtp_relay", _("SMTP relay")
    DEDICATED = "dedicated", _("Rented dedicated server")
    COLOCATION = "colocation", _("Colocation")
    SSL = "ssl", _("SSL certificate")
    SHOWCASE = "showcase", _("Showcase page")
    BANNER = "banner", _("Banner")
    SUPPORT_PLAN = "support_plan", _("Server support plan")


# Types whose name is a domain that carries the client's mail and files.
DOMAIN_BOUND_TYPES = [
    ProductType.DOMAIN,
    ProductType.HOSTING,
    ProductType.MAILBOX,
    ProductType.PEC,
    ProductType.CLOUD_MAIL,
]
SERVER_TYPES = [ProductType.DEDICATED, ProductType.COLOCATION, ProductType.VPS]


class RenewalPolicy(models.TextChoices):
    TACIT = "tacit", _("Renews automatically every year")
    CONFIRM = "confirm", _("Renews only when you confirm")


class OperatingSystem(models.TextChoices):
    LINUX = "linux", _("Linux")
    WINDOWS = "windows", _("Windows")
    OTHER = "other", _("Other")


class SupportLevel(models.TextChoices):
    BASIC = "basic", _("Basic")
    EXTENDED = "extended", _("Extended")
    MANAGED = "managed", _("Managed (full management)")
    GLOBAL = "global", _("Global")


class Product(models.Model):
    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=120, help_text=_("In Italian."))
    # The name clients reading English or Spanish see (pages, invoices, emails); empty: the
    # Italian one.
    name_en = models.CharField(
        _("name in English"), max_length=120, blank=True, help_text=_("Empty: the Italian name.")
    )
    name_es = models.CharField(
        _("name in Spanish"), max_length=120, blank=True, help_text=_("Empty: the Italian name.")
    )
    type = models.CharField(_("type"), max_length=20, choices=ProductType.choices)
    description = models.TextField(_("description"), blank=True)
    term_months = models.PositiveSmallIntegerField(
        _("term in months"), default=12, help_text=_("How long a service runs from registration.")
    )
    renewal_policy = models.CharField(
        _("default renewal"),
        max_length=10,
        choices=RenewalPolicy.choices,
        default=RenewalPolicy.TACIT,
    )
    fixed_renewal_month = models.PositiveSmallIntegerField(
        _("fixed renewal month"),
        null=True,
        blank=True,
        help_text=_("Set with the day for products renewed on a calendar date (e.g. 12 and 31)."),
    )
    fixed_renewal_day = models.PositiveSmallIntegerField(
        _("fixed renewal day"), null=True, blank=True
    )
    support_level = models.CharField(
        _("support level"),
        max_length=10,
        choices=SupportLevel.choices,
        blank=True,
        help_text=_("For server support plans only."),
    )
    disk_quota_mb = models.PositiveIntegerField(
        _("disk quota (MB)"), null=True, blank=True, help_text=_("For hosting plans.")
    )
    active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["type", "name"]

    def __str__(self):
        return self.localized_name

    @property
    def localized_name(self) -> str:
        """The name in the active language (the client's, in their pages and emails)."""
        return localized(self, "name")

    def clean(self):
        if (self.fixed_renewal_month is None) != (self.fixed_renewal_day is None):
            raise ValidationError(_("Give both the month and the day of a fixed renewal date."))
        if self.fixed_renewal_month:
            try:
                date(2001, self.fixed_renewal_month, self.fixed_renewal_day)
            except ValueError as error:
                raise ValidationError(_("The fixed renewal date does not exist.")) from error
        if self.type == ProductType.SUPPORT_PLAN and not self.support_level:
            raise ValidationError(_("A support plan needs its support level."))

    def expiry_for(self, registered_on: date) -> date:
        """Services run one term from registration (SRV-2), or to the product's fixed
        calendar date (showcases and banners renew on 31 December, SRV-3)."""
        if self.fixed_renewal_month and self.fixed_renewal_day is not None:
            candidate = date(registered_on.year, self.fixed_renewal_month, self.fixed_renewal_day)
            return (
                candidate
                if candidate > registered_on
                else candidate.replace(year=candidate.year + 1)
            )
        return registered_on + relativedelta(months=self.term_months)


# Invoices are issued in euro, so every catalogue price is in euro too: a price in another
# currency would be invoiced as if it were euro. (Payments in other currencies are
# converted with the rate of the day, BIL-10.)
INVOICING_CURRENCY = "EUR"


class Price(models.Model):
    """A net price (VAT excluded) for one billing cycle, in the invoicing currency."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    cycle_months = models.PositiveSmallIntegerField(_("billing cycle in months"), default=12)
    amount = models.DecimalField(_("net price"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default=INVOICING_CURRENCY)

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["product", "cycle_months"]
        constraints = [
            models.UniqueConstraint(fields=["product", "cycle_months"], name="one_price_per_cycle"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="price_not_negative"),
            models.CheckConstraint(
                condition=models.Q(currency=INVOICING_CURRENCY), name="price_in_invoicing_currency"
            ),
        ]

    def __str__(self):
        return f"{self.product}: {self.amount} {self.currency} / {self.cycle_months}"

    def clean(self):
        if self.currency != INVOICING_CURRENCY:
            raise ValidationError(
                {
                    "currency": _(
                        "Prices are in %(currency)s, the currency invoices are issued in: "
                        "convert this price to %(currency)s."
                    )
                    % {"currency": INVOICING_CURRENCY}
                }
            )


class SupportPlanRule(models.Model):
    """Where a support plan may be sold (SRV-10): on which kind of server, and whether
    the server must run Linux."""

    plan = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="plan_rules",
        limit_choices_to={"type": ProductType.SUPPORT_PLAN},
    )
    server_type = models.CharField(
        _("server type"), max_length=20, choices=[(t.value, t.label) for t in SERVER_TYPES]
    )
    linux_only = models.BooleanField(_("Linux only"), default=False)

    class Meta:
        verbose_name = _("where the plan applies")
        verbose_name_plural = _("where the plan applies")
        constraints = [
            models.UniqueConstraint(fields=["plan", "server_type"], name="one_rule_per_server_type")
        ]

    def __str__(self):
        return f"{self.plan} → {self.get_server_type_display()}"
