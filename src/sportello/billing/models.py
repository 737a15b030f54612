import base64
import mimetypes
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sportello.accounts.countries import country_name
from sportello.catalog.localized import localized
from sportello.core.models import SettingsRow
from sportello.core.money import ZERO, MoneyDigits, cents

if TYPE_CHECKING:
    from .pricing import VatRow

MONEY: MoneyDigits = {"max_digits": 12, "decimal_places": 2}
# The largest amount a line, a total or a payment may carry: a digit below what the money
# columns hold, so the VAT and the sum of an invoice's lines still fit.
LARGEST_AMOUNT = Decimal("999999999.99")


class BillingSettings(SettingsRow):
    """The provider's billing settings: one row, edited in the admin, seeded from the seeds."""

    class Numbering(models.TextChoices):
        AT_ISSUE = "at_issue", _("Fiscal number when the invoice is issued")
        AT_PAYMENT = "at_payment", _("Payment notice first, fiscal number at payment")

    iban = models.CharField(_("IBAN"), max_length=34, default="IT60X0542811101000000123456")
    bic = models.CharField(_("BIC"), max_length=11, default="BPMOIT22XXX")
    bank_name = models.CharField(_("bank"), max_length=100, default="Banca Popolare di Milano")
    beneficiary = models.CharField(
        _("beneficiary"), max_length=140, default="Sportello Hosting S.r.l."
    )
    cheques_accepted = models.BooleanField(_("bank cheques accepted where agreed"), default=True)
    numbering = models.CharField(
        _("fiscal numbering"), max_length=12, choices=Numbering.choices, default=Numbering.AT_ISSUE
    )
    payment_terms_days = models.PositiveSmallIntegerField(_("days to pay"), default=15)
    home_country = models.CharField(_("provider's country"), max_length=2, default="IT")
    oss_over_threshold = models.BooleanField(
        _("over the EU €10,000 threshold (charge EU consumers their own country's VAT)"),
        default=False,
    )
    auto_apply_credit = models.BooleanField(
        _("apply available credit to each new invoice"), default=True
    )
    report_cutoff_hour = models.PositiveSmallIntegerField(
        _("payment reports after this hour are reviewed the next working day"), default=17
    )
    reactivation_fee = models.DecimalField(
        _("reactivation fee after suspension (net)"), default=Decimal("20.00"), **MONEY
    )
    late_payer_threshold = models.PositiveSmallIntegerField(
        _("flag clients late this many times in 12 months"), default=2
    )
    balance_due_after_days = models.PositiveSmallIntegerField(
        _("balance invoiced anyway this many days after a quote is accepted"), default=180
    )
    # The letterhead: what an invoice prints besides the provider's name, address and VAT
    # number (core.Provider). Italian companies print their register entry and share
    # capital on every business document (art. 2250 c.c.).
    logo = models.FileField(
        _("logo on invoices"),
        upload_to="letterhead/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "svg"])],
        help_text=_("PNG, JPEG or SVG, printed at the top of invoices and their pages."),
    )
    company_register = models.CharField(
        _("companies register entry"),
        max_length=80,
        blank=True,
        help_text=_("As printed on invoices, e.g. REA MI-1234567."),
    )
    share_capital = models.DecimalField(
        _("share capital"), null=True, blank=True, help_text=_("Empty: not printed."), **MONEY
    )
    share_capital_paid_in = models.BooleanField(_("share capital fully paid in"), default=True)

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")

    def __str__(self):
        return str(_("Billing settings"))

    def clean(self):
        from schwifty import BIC, IBAN
        from schwifty.exceptions import SchwiftyException

        errors = {}
        try:
            self.iban = IBAN(self.iban).compact
        except SchwiftyException as error:
            errors["iban"] = _("This IBAN is not valid (%(reason)s).") % {"reason": error}
        try:
            self.bic = BIC(self.bic).compact
        except SchwiftyException as error:
            errors["bic"] = _("This BIC is not valid (%(reason)s).") % {"reason": error}
        if errors:
            raise ValidationError(errors)

    def logo_data_uri(self) -> str:
        """The logo inline (`data:`), so the PDF needs no URL and the page's content policy
        (images from the site or `data:`) lets it show; empty when there is none."""
        if not self.logo:
            return ""
        try:
            with self.logo.open("rb") as file:
                content = file.read()
        except OSError:
            return ""  # a logo lost from the media directory leaves the invoice without one
        kind = mimetypes.guess_type(self.logo.name or "")[0] or "image/png"
        return f"data:{kind};base64,{base64.b64encode(content).decode()}"

    @property
    def iban_display(self) -> str:
        """The IBAN in groups of four, as printed on paper."""
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))


class VatRate(models.Model):
    """A country's standard VAT rate, valid over a period."""

    country = models.CharField(_("country"), max_length=2)
    rate = models.DecimalField(_("rate %"), max_digits=5, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")
        ordering = ["country", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["country", "valid_from"], name="one_rate_per_start")
        ]

    def __str__(self):
        return f"{self.country} {self.rate}%"

    @classmethod
    def on(cls, country: str, day: date) -> Decimal:
        rate = (
            cls.objects.filter(country=country, valid_from__lte=day)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
            .order_by("-valid_from")
            .values_list("rate", flat=True)
            .first()
        )
        if rate is None:
            raise ValidationError(
                _("No VAT rate for %(country)s on %(day)s: an administrator must add it.")
                % {"country": country, "day": day.isoformat()}
            )
        return rate


class ExchangeRate(models.Model):
    """Units of `currency` for one euro on `day` (the ECB's convention)."""

    day = models.DateField(_("day"))
    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=16, decimal_places=6)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-day", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["day", "currency"], name="one_rate_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="rate_positive"),
        ]

    def __str__(self):
        return f"{self.day} 1 EUR = {self.rate} {self.currency}"


class Sequence(models.Model):
    """The last number given in a series and year; locked while a number is taken, so
    numbers are gapless even with many processes issuing at once."""

    series = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["series", "year"], name="one_sequence")]


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def receivable(self) -> "InvoiceQuerySet":
        """Open invoices with their fiscal number: what the provider has to collect. A
        payment notice (pro-forma) is a request to pay, not an invoice: it is neither a
        receivable nor overdue in the books until it is paid and gets its number."""
        return self.filter(kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN).exclude(
            number__isnull=True
        )

    def notices_to_pay(self) -> "InvoiceQuerySet":
        """Payment notices still waiting for their payment."""
        return self.filter(
            kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, number__isnull=True
        )

    def amounts_due(self) -> dict[str, Any]:
        """How many, how much is still due, and how many are past their due date."""
        today = timezone.localdate()
        return self.aggregate(
            count=Count("pk"),
            due=Sum(F("total") - F("paid_total") - F("credited_total"), default=ZERO),
            overdue=Count("pk", filter=Q(due_on__lt=today)),
        )


class Invoice(models.Model):
    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    class Purpose(models.TextChoices):
        STANDARD = "standard", _("Services")
        RENEWAL = "renewal", _("Renewal")
        FUNDS = "funds", _("Add funds")
        DEPOSIT = "deposit", _("Deposit")
        BALANCE = "balance", _("Balance")
        CORRECTION = "correction", _("Correction")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("To pay")
        PAID = "paid", _("Paid")
        CREDITED = "credited", _("Cancelled by credit note")
        # A payment notice (no fiscal number yet) whose sale was called off: nothing to
        # credit, nothing left to pay.
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class VatNote(models.TextChoices):
        NONE = "", ""
        REVERSE_CHARGE = (
            "reverse_charge",
            _(
                "Reverse charge: VAT to be accounted for by the recipient (art. 196 Directive "
                "2006/112/EC; art. 7-ter DPR 633/72)."
            ),
        )
        OUT_OF_SCOPE = (
            "out_of_scope",
            _("Outside the scope of Italian VAT (art. 7-ter DPR 633/72): client outside the EU."),
        )
        FUNDS = "funds", _("Advance payment credited to your account balance, not subject to VAT.")

    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    purpose = models.CharField(
        _("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.STANDARD
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    series = models.CharField(_("series"), max_length=8, blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    numbered_on = models.DateField(_("fiscal date"), null=True, blank=True)
    due_on = models.DateField(_("due on"), null=True, blank=True, db_index=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    net_total = models.DecimalField(_("net"), default=ZERO, **MONEY)
    vat_total = models.DecimalField(_("VAT"), default=ZERO, **MONEY)
    total = models.DecimalField(_("total"), default=ZERO, **MONEY)
    paid_total = models.DecimalField(_("paid"), default=ZERO, **MONEY)
    # A payment is on its way but not yet received (a direct debit being collected): the
    # invoice says so instead of "to pay" until the payment arrives or fails.
    payment_pending = models.BooleanField(_("payment pending"), default=False)
    credited_total = models.DecimalField(_("credited"), default=ZERO, **MONEY)
    vat_note = models.CharField(_("VAT note"), max_length=16, choices=VatNote.choices, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=25, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    # The client's fiscal identity as it was when the invoice was issued.
    billing_name = models.CharField(_("name"), max_length=200, blank=True)
    billing_address = models.TextField(_("address"), blank=True)
    billing_country = models.CharField(_("country"), max_length=2, blank=True)
    billing_vat_number = models.CharField(_("VAT number"), max_length=32, blank=True)
    billing_fiscal_code = models.CharField(_("tax code"), max_length=32, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Not a column: the staff pages that list invoices set it for their templates.
    overdue: bool
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "year", "number"],
                condition=Q(number__isnull=False),
                name="gapless_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(paid_total__gte=0) & Q(credited_total__gte=0),
                name="settled_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(paid_total__lte=models.F("total") - models.F("credited_total")),
                name="never_paid_twice",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "status"]),
            # What is still to collect, client by client (the receivables ageing report):
            # a small index of the open numbered invoices that answers without the table.
            models.Index(
                fields=["client"],
                include=["due_on", "total", "paid_total", "credited_total"],
                condition=Q(kind="invoice", status="open", number__isnull=False),
                name="invoice_receivable",
            ),
        ]

    def __str__(self):
        return self.display_number

    @property
    def display_number(self) -> str:
        if self.number is not None:
            prefix = "NC " if self.kind == self.Kind.CREDIT_NOTE else ""
            return f"{prefix}{self.year}/{self.number:06d}"
        if self.status == self.Status.DRAFT:
            return str(_("Draft %(id)s") % {"id": self.pk})
        return str(_("Payment notice %(id)s") % {"id": self.pk})

    @property
    def billing_country_name(self) -> str:
        """The client's country in the active language, as an address writes it."""
        return country_name(self.billing_country) if self.billing_country else ""

    @property
    def is_payment_notice(self) -> bool:
        return self.number is None and self.status != self.Status.DRAFT

    @property
    def amount_due(self) -> Decimal:
        return self.total - self.paid_total - self.credited_total

    def is_overdue(self, today: date) -> bool:
        return self.status == self.Status.OPEN and self.due_on is not None and self.due_on < today

    def vat_breakdown(self) -> "list[VatRow]":
        """Net and VAT per rate: VAT is computed on the sum of the net lines of each rate."""
        from .pricing import vat_breakdown

        return vat_breakdown(self.lines.all())


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(_("description"), max_length=300)
    service = models.ForeignKey(
        "services.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )
    period_start = models.DateField(_("from"), null=True, blank=True)
    period_end = models.DateField(_("to"), null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, default=1)
    unit_price = models.DecimalField(_("net unit price"), **MONEY)
    vat_rate = models.DecimalField(_("VAT %"), max_digits=5, decimal_places=2)
    net = models.DecimalField(_("net"), **MONEY)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self):
        return self.description

    @property
    def service_label(self) -> str:
        """The domain or label of the line's service when the description does not name it
        already: each line says what it is for."""
        service = self.service
        if service is None or not service.name or service.name in self.description:
            return ""
        return str(service.name)


class Payment(models.Model):
    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        CHEQUE = "cheque", _("Bank cheque")
        CARD = "card", _("Card / PayPal")
        DIRECT_DEBIT = "direct_debit", _("SEPA direct debit")
        CREDIT = "credit", _("Account credit")

    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
    )
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    received_on = models.DateField(_("received on"))
    amount = models.DecimalField(_("amount in EUR"), **MONEY)
    original_amount = models.DecimalField(_("amount paid"), **MONEY)
    original_currency = models.CharField(_("currency paid"), max_length=3, default="EUR")
    exchange_rate = models.DecimalField(
        _("exchange rate"), max_digits=16, decimal_places=6, default=Decimal(1)
    )
    applied_to_invoice = models.DecimalField(_("applied to the invoice"), default=ZERO, **MONEY)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    # The payment provider's id of this money ("stripe:pi_…:42"): unique, so an event
    # delivered twice or a return page and an event racing never record it twice.
    provider_reference = models.CharField(_("provider's payment id"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.UniqueConstraint(
                fields=["provider_reference"],
                condition=~Q(provider_reference=""),
                name="provider_payment_once",
            ),
        ]

    def __str__(self):
        return f"{self.received_on} {self.amount} EUR"


class CreditEntryQuerySet(models.QuerySet):
    def balances(self) -> dict[int, Decimal]:
        """Each client's balance, by client id (clients without entries are left out)."""
        sums = self.values_list("client").annotate(total=Sum("amount")).order_by()
        # Rounded to the cent: SQLite sums decimals as floats.
        return {client: cents(total or ZERO) for client, total in sums}


class CreditEntry(models.Model):
    """The client's credit ledger: rows are only ever added; the balance is their sum."""

    class Kind(models.TextChoices):
        OVERPAYMENT = "overpayment", _("Overpayment")
        ON_ACCOUNT = "on_account", _("Payment on account")
        FUNDS = "funds", _("Funds added")
        APPLIED = "applied", _("Applied to an invoice")
        CREDIT_NOTE = "credit_note", _("Credit note on a paid invoice")
        REFUNDED = "refunded", _("Refunded to the client")
        ADJUSTMENT = "adjustment", _("Adjustment")

    client = models.ForeignKey(
        "accounts.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="credit"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_entries"
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = CreditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit entry")
        verbose_name_plural = _("credit entries")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class Charge(models.Model):
    """A one-off extra (BIL-13): on the client's next invoice, or invoiced at once."""

    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="charges",
    )
    description = models.CharField(_("description"), max_length=300)
    amount = models.DecimalField(_("net amount"), **MONEY)
    invoice_line = models.OneToOneField(
        InvoiceLine, null=True, blank=True, on_delete=models.PROTECT, related_name="charge"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("extra charge")
        verbose_name_plural = _("extra charges")
        ordering = ["-created_at"]

    def __str__(self):
        return self.description


class Coupon(models.Model):
    class Kind(models.TextChoices):
        PERCENT = "percent", _("Percentage")
        FIXED = "fixed", _("Fixed amount")

    code = models.CharField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    products = models.ManyToManyField(
        "catalog.Product",
        verbose_name=_("products"),
        blank=True,
        help_text=_("Empty: every product."),
    )
    max_uses = models.PositiveIntegerField(_("maximum uses"), null=True, blank=True)
    uses = models.PositiveIntegerField(_("uses"), default=0)
    description = models.CharField(
        _("announcement"),
        max_length=200,
        blank=True,
        help_text=_("Shown to clients where the coupon applies, e.g. “A fifth off your renewal”."),
    )
    description_en = models.CharField(
        _("announcement in English"),
        max_length=200,
        blank=True,
        help_text=_("Empty: the Italian announcement."),
    )
    description_es = models.CharField(
        _("announcement in Spanish"),
        max_length=200,
        blank=True,
        help_text=_("Empty: the Italian announcement."),
    )
    announced = models.BooleanField(
        _("announce to every client"),
        default=False,
        help_text=_(
            "Shown on every client's dashboard while valid. Off: only those given the code know it."
        ),
    )
    renewals = models.BooleanField(
        _("applies to renewals"),
        default=False,
        help_text=_(
            "Clients may enter it on a renewal invoice, or on a service before its renewal: "
            "the next renewal invoice then carries the discount."
        ),
    )
    once_per_client = models.BooleanField(_("once per client"), default=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="coupon_value_positive"),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                name="coupon_uses_within_max",
            ),
        ]

    def __str__(self):
        return self.code

    @property
    def localized_description(self) -> str:
        """The announcement in the active language (the client's)."""
        return localized(self, "description")

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def used_up(self) -> bool:
        return self.max_uses is not None and self.uses >= self.max_uses


class CouponUse(models.Model):
    """A coupon taken on an invoice: one use of its maximum, and the discount it gave."""

    coupon = models.ForeignKey(
        Coupon, on_delete=models.PROTECT, related_name="used", verbose_name=_("coupon")
    )
    client = models.ForeignKey(
        "accounts.Client", on_delete=models.PROTECT, related_name="coupon_uses",
        verbose_name=_("client"),
    )  # fmt: skip
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="coupon_uses", verbose_name=_("invoice")
    )
    discount = models.DecimalField(_("discount"), **MONEY)
    created_at = models.DateTimeField(_("used at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon use")
        verbose_name_plural = _("coupon uses")
        constraints = [
            models.UniqueConstraint(fields=["coupon", "invoice"], name="one_use_per_invoice")
        ]


class Quote(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent, waiting for acceptance")
        ACCEPTED = "accepted", _("Accepted")
        DELIVERED = "delivered", _("Delivered")
        DECLINED = "declined", _("Declined")

    client = models.ForeignKey(
        "accounts.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="quotes"
    )
    title = models.CharField(_("title"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    deposit_percent = models.DecimalField(
        _("deposit %"), max_digits=5, decimal_places=2, default=Decimal("30.00")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_ip = models.GenericIPAddressField(_("accepted from"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    deposit_invoice = models.OneToOneField(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="deposit_for"
    )
    balance_invoice = models.OneToOneField(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="balance_for"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(deposit_percent__gte=0) & Q(deposit_percent__lte=100),
                name="deposit_percent_range",
            )
        ]

    def __str__(self):
        return f"{self.pk}: {self.title}"

    @property
    def net_total(self) -> Decimal:
        return sum((line.net for line in self.lines.all()), ZERO)


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2, default=1)
    unit_price = models.DecimalField(_("net unit price"), **MONEY)
    net = models.DecimalField(_("net"), **MONEY)

    class Meta:
        ordering = ["id"]


class PaymentReport(models.Model):
    """A payment the client says they made (BIL-8), waiting for staff review."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ALREADY_PAID = "already_paid", _("Closed: the invoice was paid another way")

    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="payment_reports",
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="reports"
    )
    bank = models.CharField(_("bank"), max_length=120)
    branch = models.CharField(_("branch"), max_length=120, blank=True)
    paid_on = models.DateField(_("date of payment"))
    receipt_number = models.CharField(_("receipt number"), max_length=80)
    amount = models.DecimalField(_("amount"), **MONEY)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    review_on = models.DateField(_("to be reviewed on"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="report"
    )
    # What the bank really credited, as staff found it on approving (the report's amount is
    # only what the client typed).
    received_amount = models.DecimalField(_("amount received"), null=True, blank=True, **MONEY)
    # The payment that settled the invoice before the report was reviewed.
    settled_by = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("payment report")
        verbose_name_plural = _("payment reports")
        ordering = ["review_on", "created_at"]

    def __str__(self):
        return f"{self.invoice}: {self.amount}"

    @property
    def difference(self) -> Decimal:
        """What the client reported beyond (or short of) what the invoice still asks."""
        return self.amount - self.invoice.amount_due


class StatementImport(models.Model):
    filename = models.CharField(_("file"), max_length=200)
    format = models.CharField(_("format"), max_length=10)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    new_entries = models.PositiveIntegerField(default=0)
    matched = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bank statement import")
        verbose_name_plural = _("bank statement imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename


class BankEntry(models.Model):
    """A credit on the provider's bank account, from a statement, and what it paid."""

    class Status(models.TextChoices):
        MATCHED = "matched", _("Matched")
        SUGGESTED = "suggested", _("Suggested match")
        UNMATCHED = "unmatched", _("Unmatched")
        CREDITED = "credited", _("Added to a client's credit")
        DISMISSED = "dismissed", _("Not a client payment")

    statement = models.ForeignKey(StatementImport, on_delete=models.PROTECT, related_name="entries")
    account = models.CharField(_("account"), max_length=40)
    entry_id = models.CharField(_("bank reference"), max_length=100)
    booking_date = models.DateField(_("booked on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    counterparty = models.CharField(_("from"), max_length=200, blank=True)
    remittance = models.TextField(_("remittance"), blank=True)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_entries"
    )
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="bank_entry"
    )
    # The client whose name the payer's resembles (a suggestion), or whose credit the entry
    # went to.
    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("bank entry")
        verbose_name_plural = _("bank entries")
        ordering = ["-booking_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "entry_id"], name="bank_entry_once")
        ]

    def __str__(self):
        return f"{self.booking_date} {self.amount} {self.currency}"
