from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sportello.core.models import SettingsRow


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
        BOUNCED = "bounced", _("Bounced")

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
    # Notifications about a ticket come from (and are answered to) its department's address;
    # empty: DEFAULT_FROM_EMAIL, whose mail says replies are not read.
    from_email = models.CharField(_("from"), max_length=300, blank=True)
    reply_to = models.EmailField(_("reply to"), blank=True)
    # The one-click unsubscribe address of a news mailing (RFC 8058).
    list_unsubscribe = models.URLField(_("unsubscribe link"), max_length=500, blank=True)
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


class MailSettings(SettingsRow):
    """How inbound mail is trusted and answered (HD-7, HD-8) and how outgoing mail is signed."""

    class AuthPolicy(models.TextChoices):
        ALWAYS = "always", _("Require DKIM or SPF aligned with the sender, always")
        DMARC = "dmarc", _("Require it only where the sender's domain publishes DMARC")

    class Replies(models.TextChoices):
        THREAD = "thread", _("Add them to the ticket")
        REFUSE = "refuse", _("Refuse them with an answer pointing to the panel")

    auth_policy = models.CharField(
        _("sender authentication"), max_length=10, choices=AuthPolicy.choices, default="always"
    )
    trusted_authserv_id = models.CharField(
        _("trusted MTA (authserv-id)"),
        max_length=200,
        blank=True,
        help_text=_(
            "The Authentication-Results headers of this MTA are trusted; any other is ignored. "
            "Empty: Sportello checks DKIM and DMARC itself."
        ),
    )
    email_replies = models.CharField(
        _("email replies to notifications"), max_length=10, choices=Replies.choices,
        default="thread",
    )  # fmt: skip
    attachments_max_kb = models.PositiveIntegerField(
        _("attachments kept per email (KB in total)"), default=1024
    )
    message_max_kb = models.PositiveIntegerField(
        _("largest email accepted (KB)"), default=25 * 1024
    )
    dkim_domain = models.CharField(_("DKIM signing domain"), max_length=200, blank=True)
    dkim_selector = models.CharField(_("DKIM selector"), max_length=63, default="sportello")

    class Meta:
        verbose_name = _("mail settings")
        verbose_name_plural = _("mail settings")


class InboundMessage(models.Model):
    """An email as it arrived, stored before it is acknowledged; processing decides what it
    becomes. The raw bytes are kept, whatever happens."""

    class Channel(models.TextChoices):
        SMTP = "smtp", _("SMTP gateway")
        IMAP = "imap", _("IMAP mailbox")
        PIPE = "pipe", _("MTA pipe")

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        CREATED = "created", _("New ticket")
        REPLIED = "replied", _("Added to a ticket")
        REFUSED = "refused", _("Refused")
        QUARANTINED = "quarantined", _("Quarantined")
        BOUNCE = "bounce", _("Delivery report")
        DELETED = "deleted", _("Deleted")

    received_at = models.DateTimeField(_("received"), db_index=True)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.EmailField(_("recipient"))
    envelope_from = models.CharField(_("envelope sender"), max_length=300, blank=True)
    peer_ip = models.GenericIPAddressField(_("sending server"), null=True, blank=True)
    # The Message-ID, or a digest of the bytes when there is none: the same message
    # delivered twice is stored, and processed, once.
    dedup_key = models.CharField(max_length=300, unique=True)
    raw = models.BinaryField(_("raw message"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    # The kind of reason (a quarantine's, `processing.Quarantine.code`), which staff read in
    # their language; `reason` keeps the detail.
    reason_code = models.CharField(max_length=20, blank=True)
    sender = models.CharField(_("from"), max_length=300, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    ticket = models.ForeignKey(
        "helpdesk.Ticket", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        verbose_name = _("incoming email")
        verbose_name_plural = _("incoming emails")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["status", "received_at"])]

    def __str__(self):
        return f"{self.sender or self.envelope_from} → {self.recipient}: {self.subject}"


class AutoReply(models.Model):
    """At most one automatic answer per address and day, whatever arrives (HD-7)."""

    address = models.EmailField()
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address", "day"], name="one_autoreply_a_day")
        ]


class ImapMailbox(models.Model):
    """A mailbox `sportello pollmail` reads; always over TLS."""

    class Security(models.TextChoices):
        TLS = "tls", _("TLS (port 993)")
        STARTTLS = "starttls", _("STARTTLS (port 143)")

    host = models.CharField(_("server"), max_length=200)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("security"), max_length=10, choices=Security.choices,
                                default=Security.TLS)  # fmt: skip
    username = models.CharField(_("user name"), max_length=200)
    password = models.CharField(_("password"), max_length=200)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    recipient = models.EmailField(
        _("delivered as if sent to"), help_text=_("The department address this mailbox receives.")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("IMAP mailbox")
        verbose_name_plural = _("IMAP mailboxes")

    def __str__(self):
        return f"{self.username}@{self.host}/{self.folder}"
