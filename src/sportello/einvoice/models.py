"""Electronic invoices: FatturaPA files for the SdI (Italy), VERI*FACTU records (Spain).

An e-invoice is made once per fiscal document, from the invoice's frozen snapshot; the
recipient's delivery data (recipient code, PEC, public administration) are frozen on the
e-invoice in the transaction that numbers the invoice. Files, receipts and records are
only added, never edited: they are the fiscal record (kept 10 years)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sportello.core.models import SettingsRow
from sportello.core.money import MoneyDigits

MONEY: MoneyDigits = {"max_digits": 12, "decimal_places": 2}


class EInvoiceSettings(SettingsRow):
    """What the SdI and the AEAT need to know about the provider, and how files travel."""

    class Regime(models.TextChoices):
        ORDINARY = "RF01", _("RF01 ordinary")
        FLAT_RATE = "RF19", _("RF19 flat-rate (forfettario)")

    class Channel(models.TextChoices):
        EXPORT = "export", _("Export for the accountant (ZIP)")
        PEC = "pec", _("PEC to the SdI")
        INTERMEDIARY = "intermediary", _("Intermediary's API (Aruba)")

    class Environment(models.TextChoices):
        TEST = "test", _("Test")
        PRODUCTION = "production", _("Production")

    regime = models.CharField(
        _("tax regime"), max_length=4, choices=Regime.choices, default=Regime.ORDINARY
    )
    street = models.CharField(_("registered office: street"), max_length=60, blank=True)
    postcode = models.CharField(_("registered office: postcode"), max_length=5, blank=True)
    city = models.CharField(_("registered office: city"), max_length=60, blank=True)
    province = models.CharField(_("registered office: province"), max_length=2, blank=True)
    fiscal_code = models.CharField(_("issuer's tax code"), max_length=16, blank=True)
    transmitter_code = models.CharField(
        _("transmitter's tax code"),
        max_length=16,
        blank=True,
        help_text=_("Who transmits the files; empty: the issuer's VAT number."),
    )
    channel = models.CharField(
        _("channel to the SdI"), max_length=12, choices=Channel.choices, default=Channel.EXPORT
    )
    stamp_duty_recharged = models.BooleanField(
        _("stamp duty recharged to the client"),
        default=False,
        help_text=_("The €2 virtual stamp duty on VAT-free invoices over €77.47."),
    )
    pec_address = models.EmailField(_("provider's PEC address"), blank=True)
    sdi_pec_address = models.EmailField(
        _("SdI's PEC address"),
        default="sdi01@pec.fatturapa.it",
        help_text=_("After the first file, the address the SdI answered from."),
    )
    pec_smtp_host = models.CharField(_("PEC SMTP server"), max_length=200, blank=True)
    pec_smtp_port = models.PositiveIntegerField(_("PEC SMTP port"), default=465)
    pec_username = models.CharField(_("PEC user name"), max_length=200, blank=True)
    intermediary_auth_url = models.URLField(
        _("intermediary: sign-in URL"), default="https://demoauth.fatturazioneelettronica.aruba.it"
    )
    intermediary_api_url = models.URLField(
        _("intermediary: API URL"), default="https://demows.fatturazioneelettronica.aruba.it"
    )
    intermediary_username = models.CharField(
        _("intermediary: user name"), max_length=200, blank=True
    )
    verifactu_environment = models.CharField(
        _("VERI*FACTU environment"),
        max_length=10,
        choices=Environment.choices,
        default=Environment.TEST,
    )
    verifactu_url = models.URLField(
        _("VERI*FACTU service URL"),
        blank=True,
        help_text=_("Empty: the AEAT's for the environment."),
    )
    verifactu_certificate = models.CharField(
        _("VERI*FACTU certificate file (PEM or PKCS#12)"), max_length=300, blank=True
    )

    class Meta:
        verbose_name = _("electronic invoice settings")
        verbose_name_plural = _("electronic invoice settings")

    def __str__(self):
        return str(_("Electronic invoice settings"))


class RecipientProfile(models.Model):
    """How a client receives e-invoices: the SdI recipient code or a PEC address, and whether
    it is a public administration (FPA12, 6-character office code, optional split payment)."""

    client = models.OneToOneField(
        "accounts.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="einvoice_profile",
    )
    recipient_code = models.CharField(_("SdI recipient code"), max_length=7, blank=True)
    pec = models.EmailField(_("PEC address for invoices"), blank=True)
    public_administration = models.BooleanField(_("public administration"), default=False)
    split_payment = models.BooleanField(_("split payment (art. 17-ter)"), default=False)

    class Meta:
        verbose_name = _("e-invoice recipient")
        verbose_name_plural = _("e-invoice recipients")

    def __str__(self):
        return str(self.client)

    def clean(self):
        self.recipient_code = self.recipient_code.strip().upper()
        length = 6 if self.public_administration else 7
        if self.recipient_code and (
            len(self.recipient_code) != length or not self.recipient_code.isalnum()
        ):
            raise ValidationError(
                {"recipient_code": _("The code has %(n)s letters or digits.") % {"n": length}}
            )
        if self.public_administration and not self.recipient_code:
            raise ValidationError(
                {"recipient_code": _("A public administration needs its office code.")}
            )
        if self.split_payment and not self.public_administration:
            raise ValidationError(
                {"split_payment": _("Split payment applies to public administrations only.")}
            )


class FileSequence(models.Model):
    """The last progressive given to a FatturaPA file name: a file name is never used twice,
    not even for a file sent again after a rejection."""

    last = models.PositiveIntegerField(default=0)


class EInvoice(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("To prepare")
        INVALID = "invalid", _("Not valid: to correct")
        TO_SEND = "to_send", _("To send")
        EXPORTED = "exported", _("Exported for the accountant")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        NOT_DELIVERED = "not_delivered", _("Not delivered: in the client's reserved area")
        REJECTED = "rejected", _("Rejected by the SdI")
        ACCEPTED = "accepted", _("Accepted by the administration")
        REFUSED = "refused", _("Refused by the administration")
        EXPIRED = "expired", _("No answer from the administration in 15 days")
        CORRECTED = "corrected", _("Rejected, replaced by a new invoice")
        INTERNAL = "internal", _("Internal: cancels a rejected invoice, not sent")

    invoice = models.OneToOneField(
        "billing.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="einvoice",
    )
    document_type = models.CharField(_("document type"), max_length=4)
    format = models.CharField(_("format"), max_length=5, default="FPR12")
    status = models.CharField(
        _("state"), max_length=14, choices=Status.choices, default=Status.NEW, db_index=True
    )
    # The recipient as it was when the invoice was numbered.
    recipient_code = models.CharField(_("recipient code"), max_length=7, blank=True)
    recipient_pec = models.EmailField(_("recipient PEC"), blank=True)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    province = models.CharField(_("province"), max_length=60, blank=True)
    public_administration = models.BooleanField(default=False)
    split_payment = models.BooleanField(default=False)
    # The current file.
    filename = models.CharField(_("file"), max_length=40, blank=True)
    xml = models.TextField(blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    sdi_identifier = models.CharField(_("SdI identifier"), max_length=20, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    outcome_at = models.DateTimeField(_("outcome at"), null=True, blank=True)
    corrected_by = models.OneToOneField(
        "billing.Invoice",
        verbose_name=_("corrected by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrects_rejected",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("electronic invoice")
        verbose_name_plural = _("electronic invoices")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.filename or f"e-invoice {self.pk}"


class SentFile(models.Model):
    """Each file that left for the SdI (or the accountant): the history of an e-invoice."""

    einvoice = models.ForeignKey(EInvoice, on_delete=models.PROTECT, related_name="files")
    filename = models.CharField(_("file"), max_length=40, unique=True)
    xml = models.TextField()
    channel = models.CharField(_("channel"), max_length=12)
    sent_at = models.DateTimeField(_("sent at"))
    remote_id = models.CharField(_("channel's reference"), max_length=100, blank=True)

    class Meta:
        ordering = ["-sent_at", "-id"]


class Receipt(models.Model):
    """A notice from the SdI about a file: kept with the invoice for 10 years."""

    class Kind(models.TextChoices):
        RC = "RC", _("Delivery receipt")
        NS = "NS", _("Rejection notice")
        MC = "MC", _("Failed delivery notice")
        NE = "NE", _("Outcome notice (public administration)")
        DT = "DT", _("Term expired notice")
        AT = "AT", _("Certificate of transmission")

    einvoice = models.ForeignKey(EInvoice, on_delete=models.PROTECT, related_name="receipts")
    kind = models.CharField(_("kind"), max_length=2, choices=Kind.choices)
    filename = models.CharField(_("file"), max_length=60)
    sdi_identifier = models.CharField(max_length=20, blank=True)
    message_id = models.CharField(max_length=20)
    outcome = models.CharField(_("outcome"), max_length=4, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    xml = models.TextField()
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("SdI receipt")
        verbose_name_plural = _("SdI receipts")
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["einvoice", "kind", "message_id"], name="receipt_applied_once"
            )
        ]

    def __str__(self):
        return self.filename


class VerifactuChain(SettingsRow):
    """The head of the provider's chain of billing records, locked while a record is added."""

    last_position = models.PositiveIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)
    last_issuer = models.CharField(max_length=9, blank=True)
    last_number = models.CharField(max_length=60, blank=True)
    last_date = models.CharField(max_length=10, blank=True)


class VerifactuRecord(models.Model):
    """A VERI*FACTU billing record (RegistroAlta or RegistroAnulacion) in the hash chain."""

    class Kind(models.TextChoices):
        REGISTRATION = "alta", _("Registration")
        CANCELLATION = "anulacion", _("Cancellation")

    class Status(models.TextChoices):
        PENDING = "pending", _("To send")
        ACCEPTED = "accepted", _("Accepted")
        ACCEPTED_WITH_ERRORS = "accepted_errors", _("Accepted with errors")
        REJECTED = "rejected", _("Rejected")

    position = models.PositiveIntegerField(_("position in the chain"), unique=True)
    invoice = models.ForeignKey(
        "billing.Invoice",
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        related_name="verifactu_records",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    invoice_type = models.CharField(_("invoice type"), max_length=2, blank=True)
    issuer_nif = models.CharField(max_length=9)
    number = models.CharField(max_length=60)
    issue_date = models.CharField(max_length=10)  # DD-MM-YYYY, as hashed
    vat_total = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    previous_hash = models.CharField(max_length=64, blank=True)
    generated_at = models.CharField(max_length=25)  # as hashed: 2026-01-01T19:20:30+01:00
    hash = models.CharField(max_length=64, unique=True)
    qr_url = models.CharField(max_length=300, blank=True)
    xml = models.TextField()
    status = models.CharField(
        _("state"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    error_code = models.CharField(max_length=10, blank=True)
    error_text = models.CharField(max_length=500, blank=True)
    csv = models.CharField(_("AEAT receipt (CSV)"), max_length=40, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("VERI*FACTU record")
        verbose_name_plural = _("VERI*FACTU records")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                condition=Q(kind="alta"),
                name="one_registration_per_invoice",
            )
        ]

    def __str__(self):
        return f"{self.position} {self.kind} {self.number}"


class VerifactuEvent(models.Model):
    """The system's event log: start of the chain, sendings, failures, anomalies."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(max_length=30)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
