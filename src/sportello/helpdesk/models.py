from datetime import time, timedelta

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sportello.catalog.models import SupportLevel
from sportello.core.models import SettingsRow, TranslatedName


class Department(TranslatedName):
    """A team that answers one kind of request: Helpdesk (technical), Sales & Marketing.
    Its office hours drive the due times of its tickets (HD-9)."""

    code = models.SlugField(_("code"), unique=True)
    description = models.CharField(_("what it handles"), max_length=200, blank=True)
    email = models.EmailField(_("inbound address"), blank=True)
    opens_at = models.TimeField(_("opens at"), default=time(9))
    closes_at = models.TimeField(_("closes at"), default=time(17, 30))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    email_category = models.ForeignKey(
        "Category",
        verbose_name=_("category of tickets opened by email"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["position", "name"]


class Category(TranslatedName):
    """What a ticket is about; each category goes straight to its department (HD-10)."""

    class Kind(models.TextChoices):
        GENERAL = "general", _("General")
        EMAIL_PROBLEM = "email_problem", _("Email problem")
        OUTAGE = "outage", _("Outage report")
        UPGRADE = "upgrade", _("Upgrade request")
        BACKUP_RESTORE = "backup_restore", _("Backup or restore")
        EXTRA = "extra", _("Extra-contract assistance")

    code = models.SlugField(_("code"), unique=True)
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    needs_service = models.BooleanField(_("concerns a service"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("offered to clients"), default=True)
    questions = models.TextField(
        _("required questions (Italian)"),
        blank=True,
        help_text=_("One per line: the client answers each one before the ticket is sent."),
    )
    questions_en = models.TextField(_("required questions (English)"), blank=True)
    questions_es = models.TextField(_("required questions (Spanish)"), blank=True)

    class Meta:
        verbose_name = _("ticket category")
        verbose_name_plural = _("ticket categories")
        ordering = ["department__position", "position", "name"]

    def questions_in(self, language: str | None = None) -> list[str]:
        """The required questions in `language` (the active one by default), Italian when
        that language has none."""
        language = (language or get_language() or settings.LANGUAGE_CODE)[:2]
        text = getattr(self, f"questions_{language}", "") or self.questions
        return [line.strip() for line in text.splitlines() if line.strip()]


class HelpdeskSettings(SettingsRow):
    generic_subjects = models.TextField(
        _("generic subjects refused"),
        help_text=_("One per line, in any language; compared ignoring case and punctuation."),
        default="\n".join(
            [
                "richiesta assistenza",
                "richiesta di assistenza",
                "apertura ticket",
                "aiuto",
                "assistenza",
                "problema",
                "urgente",
                "informazioni",
                "info",
                "supporto",
                "help",
                "help me",
                "support",
                "support request",
                "problem",
                "urgent",
                "ticket",
                "ayuda",
                "soporte",
                "solicitud de soporte",
                "asistencia",
                "consulta",
            ]
        ),  # fmt: skip
    )
    auto_close_hours = models.PositiveIntegerField(
        _("close tickets waiting for the client after (hours)"), default=24
    )
    reopen_days = models.PositiveIntegerField(
        _("a client may reopen a closed ticket by replying for (days)"), default=7
    )
    attachment_max_mb = models.PositiveIntegerField(_("attachment size limit (MB)"), default=10)
    message_attachments_max_mb = models.PositiveIntegerField(
        _("attachments of one message, in total (MB)"),
        default=25,
        help_text=_("A larger upload is refused before it is read."),
    )
    ticket_attachments_max_mb = models.PositiveIntegerField(
        _("attachments of one ticket, in total (MB)"), default=100
    )
    attachment_types = models.CharField(
        _("attachment types allowed"),
        max_length=300,
        default="pdf,png,jpg,jpeg,gif,webp,txt,log,csv,eml,zip,doc,docx,xls,xlsx,odt,ods",
        help_text=_("File name extensions, comma-separated."),
    )
    holiday_country = models.CharField(_("holidays of"), max_length=2, default="IT")

    class Meta:
        verbose_name = _("help desk settings")
        verbose_name_plural = _("help desk settings")

    def allowed_extensions(self) -> set[str]:
        return {part.strip().lower().lstrip(".") for part in self.attachment_types.split(",")}


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class ResponseTarget(models.Model):
    """How soon a ticket of a priority gets its first answer and its solution, in working
    hours (HD-13); high-priority tickets (global plan) count every hour."""

    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    support_level = models.CharField(
        _("support plan"),
        max_length=10,
        choices=SupportLevel.choices,
        blank=True,
        help_text=_("Empty: every client without a plan of their own here."),
    )
    first_response_hours = models.PositiveIntegerField(_("first answer within (hours)"))
    resolution_hours = models.PositiveIntegerField(_("solution within (hours)"))

    class Meta:
        verbose_name = _("response target")
        verbose_name_plural = _("response targets")
        ordering = ["support_level", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "support_level"], name="one_target_per_priority_and_plan"
            )
        ]

    def __str__(self):
        if self.support_level:
            return f"{self.get_priority_display()} · {self.get_support_level_display()}"
        return str(self.get_priority_display())


class TicketQuerySet(models.QuerySet):
    def visible_to_staff(self, user):
        if user.is_admin:
            return self
        return self.filter(department__in=user.departments.all())

    def open(self):
        return self.filter(status__in=Ticket.OPEN_STATUSES)


class Ticket(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("In progress")
        WAITING = "waiting", _("Waiting for the client")
        CLOSED = "closed", _("Closed")
        MERGED = "merged", _("Merged")

    class Channel(models.TextChoices):
        PANEL = "panel", _("Panel")
        EMAIL = "email", _("Email")
        STAFF = "staff", _("Staff")

    OPEN_STATUSES = [Status.NEW, Status.OPEN, Status.WAITING]
    # The solution clock runs while the ticket is with us, not while it waits for the client.
    ON_THE_CLOCK = [Status.NEW, Status.OPEN]
    # How far ahead a due time shows as "due soon" in the desk.
    DUE_SOON = timedelta(hours=1)

    code = models.CharField(_("code"), max_length=20, unique=True)
    client = models.ForeignKey(
        "accounts.Client",
        verbose_name=_("client"),
        on_delete=models.CASCADE,
        related_name="tickets",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("department"), on_delete=models.PROTECT, related_name="tickets"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="tickets"
    )
    service = models.ForeignKey(
        "services.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    subject = models.CharField(_("subject"), max_length=200)
    details = models.JSONField(_("details"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="new")
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    round_the_clock = models.BooleanField(_("handled h24"), default=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField(_("opened"))
    last_activity_at = models.DateTimeField(_("last activity"))
    first_response_due = models.DateTimeField(_("first answer due"))
    resolution_due = models.DateTimeField(_("solution due"))
    first_responded_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_tickets"
    )
    # The client's one-click verdict on the answers (3 good, 2 fair, 1 poor).
    satisfaction = models.PositiveSmallIntegerField(
        _("client's rating"), null=True, blank=True, choices=[
            (3, _("Good")), (2, _("Fair")), (1, _("Poor")),
        ],
    )  # fmt: skip
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-last_activity_at", "-id"]
        # The queues read only open tickets: partial indexes keep them small and let the
        # counts and the first page come from the index alone, however many are closed.
        indexes = [
            models.Index(fields=["client", "-last_activity_at"]),
            # With the first-answer times (and the id the counts count), so the open and
            # late counts read the index alone.
            models.Index(
                fields=["department", "resolution_due"],
                include=["id", "status", "first_response_due", "first_responded_at"],
                condition=models.Q(status__in=["new", "open", "waiting"]),
                name="ticket_open_by_department",
            ),
            # With the priority, so the queue by priority finds its page's ids here alone.
            models.Index(
                fields=["resolution_due", "id"],
                include=["department", "status", "priority"],
                condition=models.Q(status__in=["new", "open", "waiting"]),
                name="ticket_open_by_due",
            ),
            # First answers still owed: the late filter reads them beside the solution times.
            models.Index(
                fields=["first_response_due", "id"],
                include=["department", "status"],
                condition=models.Q(status__in=["new", "open"], first_responded_at__isnull=True),
                name="ticket_awaiting_answer",
            ),
            models.Index(fields=["-last_activity_at", "-id"], name="ticket_by_activity"),
            # The queue sorted by opening, closed tickets included, pages by this index; the
            # help-desk volume report counts openings per week from it alone.
            models.Index(
                fields=["-created_at", "-id"],
                include=["department", "channel"],
                name="ticket_by_opening",
            ),
            # The volume report's closings per week, from the index alone.
            models.Index(
                fields=["closed_at"],
                include=["department", "channel"],
                condition=models.Q(closed_at__isnull=False),
                name="ticket_by_closing",
            ),
            # The SLA page's satisfaction average over recent weeks.
            models.Index(
                fields=["department", "rated_at"],
                include=["satisfaction"],
                condition=models.Q(rated_at__isnull=False),
                name="ticket_rated",
            ),
            models.Index(fields=["status", "waiting_since"]),
        ]

    def __str__(self):
        return f"{self.code} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @classmethod
    def late_at(cls, now) -> models.Q:
        """On the clock and past its solution time, or still without the first answer past
        its due time."""
        return models.Q(status__in=cls.ON_THE_CLOCK) & (
            models.Q(resolution_due__lte=now)
            | models.Q(first_responded_at__isnull=True, first_response_due__lte=now)
        )

    @classmethod
    def soon_at(cls, now) -> models.Q:
        """On the clock, not late, and a due time not met within the next `DUE_SOON`."""
        limit = now + cls.DUE_SOON
        return (
            models.Q(status__in=cls.ON_THE_CLOCK)
            & ~cls.late_at(now)
            & (
                models.Q(resolution_due__lte=limit)
                | models.Q(first_responded_at__isnull=True, first_response_due__lte=limit)
            )
        )

    def _clock_state(self, due, now) -> str:
        if due <= now:
            return "late"
        return "soon" if due <= now + self.DUE_SOON else ""

    def due_state(self, now) -> str:
        """'late', 'soon' or '' for the solution time."""
        if self.status not in self.ON_THE_CLOCK:
            return ""
        return self._clock_state(self.resolution_due, now)

    def first_answer_state(self, now) -> str:
        """'late', 'soon' or '' for the first answer: nothing once it was given."""
        if self.first_responded_at is not None or self.status not in self.ON_THE_CLOCK:
            return ""
        return self._clock_state(self.first_response_due, now)

    def sla_state(self, now) -> str:
        """The worse of the two."""
        states = {self.due_state(now), self.first_answer_state(now)}
        return "late" if "late" in states else "soon" if "soon" in states else ""

    def thread_id(self) -> str:
        """The Message-ID of the first notification: every later one refers to it, so mail
        programs show the ticket as one conversation."""
        from sportello.mail.sender import message_id_domain

        return f"<ticket.{self.code}@{message_id_domain()}>"


class Message(models.Model):
    class Kind(models.TextChoices):
        CLIENT = "client", _("Client message")
        STAFF = "staff", _("Staff reply")
        NOTE = "note", _("Internal note")
        EVENT = "event", _("Event")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("message"), blank=True)
    # An email's quoted text and signature, shown folded under the new text.
    quoted = models.TextField(_("quoted text"), blank=True)
    source = models.ForeignKey(
        "mail.InboundMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Events (status changes, moves, merges…) are stored as a code with its values and
    # worded when shown, in the reader's language.
    event = models.CharField(max_length=30, blank=True)
    event_data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("written"))

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    @property
    def is_public(self) -> bool:
        return self.kind != self.Kind.NOTE


def attachment_storage() -> FileSystemStorage:
    """Outside the web root; a callable, so the path is not written into migrations."""
    return FileSystemStorage(location=settings.ATTACHMENTS_DIR)


def attachment_path(instance, filename):
    return f"{instance.message.ticket.code}/{filename}"


class Attachment(models.Model):
    """Kept outside the web root and served only as a download to those who may see the
    ticket."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=attachment_storage, upload_to=attachment_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        ordering = ["id"]


class HeldRequest(models.Model):
    """A request that would change an account or a service, held until the client
    confirms it from the panel (ACC-10)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for your confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="held_requests")
    description = models.TextField(_("what will be done"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


class CannedReply(models.Model):
    """A ready answer in one language; {client}, {code}, {agent} and {service} are filled in."""

    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    body = models.TextField(_("text"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        help_text=_("Empty: offered in every department."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("personal reply of"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"is_staff": True},
        help_text=_("Empty: shared with the department (or everyone)."),
    )

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self):
        return self.title


class AgentSignature(models.Model):
    """The lines an agent's public answers end with, in the client's language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"is_staff": True},
    )
    text = models.TextField(_("signature (Italian)"))
    text_en = models.TextField(_("signature (English)"), blank=True)
    text_es = models.TextField(_("signature (Spanish)"), blank=True)

    class Meta:
        verbose_name = _("agent signature")
        verbose_name_plural = _("agent signatures")

    def __str__(self):
        return str(self.user)

    def text_in(self, language: str) -> str:
        return getattr(self, f"text_{language[:2]}", "") or self.text


class TicketPresence(models.Model):
    """Who has a ticket open in the desk, and since when they are writing a reply: the
    collision warning."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    replying_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="one_presence_per_staff")
        ]


class SavedFilter(models.Model):
    """A filter and sort of the queue that an agent named, listed beside their queue; only
    its owner sees it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_queue_filters"
    )
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(_("filter"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("saved queue filter")
        verbose_name_plural = _("saved queue filters")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="one_saved_filter_per_name")
        ]

    def __str__(self):
        return self.name


class ReplyDraft(models.Model):
    """What an agent has typed in a ticket's reply box and not sent yet, saved as they
    type; only its writer reads it, and sending the reply clears it."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ticket", "agent"], name="one_draft_per_agent")
        ]


class SlaWeek(models.Model):
    """One clock of one department over one finished week, as the SLA page shows it: kept
    once the week is over so that the page computes only the current week (see
    `sportello.helpdesk.sla`). A week without tickets has its row too, with count 0, so
    that it is known and not computed again."""

    class Clock(models.TextChoices):
        FIRST = "first", _("First answer")
        SOLUTION = "solution", _("Solution")

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    week = models.DateField()  # its Monday, in local time
    clock = models.CharField(max_length=10, choices=Clock.choices)
    median = models.FloatField(null=True)  # hours taken; none without tickets
    target = models.FloatField(null=True)  # hours allowed (the due time less the opening)
    count = models.PositiveIntegerField()
    met = models.PositiveIntegerField()  # how many in time

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["department", "week", "clock"], name="one_sla_week_per_clock"
            )
        ]
