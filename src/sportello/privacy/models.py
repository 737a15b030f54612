"""A client's requests under the GDPR (access: art. 15 and 20; erasure: art. 17), and what
an erasure had to keep for the law until a release date."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DataRequest(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", _("Copy of the data")
        ERASURE = "erasure", _("Erasure")

    class Status(models.TextChoices):
        PENDING = "pending", _("Received")
        READY = "ready", _("Ready to download")
        DONE = "done", _("Carried out")
        REFUSED = "refused", _("Refused")
        EXPIRED = "expired", _("Download expired")

    client = models.ForeignKey(
        "accounts.Client", verbose_name=_("client"), on_delete=models.CASCADE,
        related_name="data_requests",
    )  # fmt: skip
    kind = models.CharField(_("request"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    requested_at = models.DateTimeField(_("requested"))
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # The archive's file name in the data directory; it is deleted when the link expires.
    archive = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), null=True, blank=True)
    expires_at = models.DateTimeField(_("download until"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("personal data request")
        verbose_name_plural = _("personal data requests")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One request of each kind in progress at a time.
            models.UniqueConstraint(
                fields=["client", "kind"], condition=models.Q(status="pending"),
                name="one_pending_data_request",
            )
        ]  # fmt: skip

    def __str__(self):
        return f"{self.get_kind_display()} {self.client_id} {self.requested_at:%Y-%m-%d}"


class LegalHold(models.Model):
    """A record an erasure kept because the law requires it (invoices and payments: 10
    years in Italy); the daily job anonymises it on its release date."""

    class What(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        PAYMENT = "payment", _("Payment")

    client = models.ForeignKey(
        "accounts.Client", verbose_name=_("client"), on_delete=models.CASCADE,
        related_name="legal_holds",
    )  # fmt: skip
    what = models.CharField(_("what"), max_length=10, choices=What.choices)
    object_id = models.PositiveBigIntegerField(_("record"))
    reason = models.CharField(_("why it is kept"), max_length=200)
    release_on = models.DateField(_("kept until"), db_index=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["release_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["what", "object_id"], name="one_hold_per_record")
        ]

    def __str__(self):
        return f"{self.what} {self.object_id} → {self.release_on}"
