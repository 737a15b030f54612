from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundEmailQuerySet(models.QuerySet):
    def for_listing(self):
        """What a list of emails shows; bodies stay in the database."""
        return self.only("id", "client_id", "created_at", "subject", "status", "to_address")


class OutboundEmail(models.Model):
    """One email, written in the transaction that caused it and delivered by a task.

    It is also the client's mail history (ACC-8): the copy they read in the panel.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="emails",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_address = models.EmailField(_("to"))
    language = models.CharField(_("language"), max_length=8)
    template = models.CharField(_("template"), max_length=120)
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    # The first message of a conversation (a ticket): In-Reply-To and References point to
    # it, so mail programs thread the notifications.
    thread_id = models.CharField(_("thread"), max_length=300, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["client", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.to_address}: {self.subject}"


class EmailAttachment(models.Model):
    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    content = models.BinaryField(_("content"), blank=True, default=b"")
    # An invoice's PDF is rendered by the sender, outside the transaction that issued it.
    invoice = models.ForeignKey(
        "billing.Invoice", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.filename
