"""Ticket forms: they check the shape of the input; the actions decide what is allowed."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sportello.accounts.models import User
from sportello.services.models import Service

from .actions import single_line
from .models import Category, HelpdeskSettings, Priority, Ticket

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(AttachmentsField, self).clean(item, initial) for item in files]


def attachments_field():
    return AttachmentsField(label=_("Attachments"), required=False)


class AttachmentsForm(forms.Form):
    """A form with an `attachments` field; `refused` are the files the upload limits left
    out of the request (`uploads.refused_uploads`), each an error of the field, so the
    writer reads which file and why, and keeps the rest of what they typed."""

    def __init__(self, *args, refused=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.refused = [item for item in refused if item.field == "attachments"]
        limits = self.limits = HelpdeskSettings.current()
        types = sorted(limits.allowed_extensions())
        self.fields["attachments"].help_text = _(
            "Up to %(file)s MB per file and %(message)s MB in all; a ticket holds %(ticket)s MB "
            "of files. Accepted types: %(types)s."
        ) % {
            "file": limits.attachment_max_mb,
            "message": limits.message_attachments_max_mb,
            "ticket": limits.ticket_attachments_max_mb,
            "types": ", ".join(types),
        }
        # The browser's file picker offers the accepted types first; the server still checks.
        self.fields["attachments"].widget.attrs["accept"] = ",".join(f".{t}" for t in types)

    def clean_attachments(self):
        if self.refused:
            raise forms.ValidationError([item.message(self.limits) for item in self.refused])
        return self.cleaned_data["attachments"]


class SubjectField(forms.CharField):
    """A subject is one line: what a pasted or crafted value carries beyond it is folded."""

    def to_python(self, value):
        return single_line(super().to_python(value))


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, category):
        return category.label


# The structured questions of each request kind (HD-12, HD-15, SRV-6, SRV-13): field name,
# required or not.
KIND_FIELDS = {
    Category.Kind.EMAIL_PROBLEM: [
        ("mailboxes", True), ("direction", True), ("where", True), ("error_type", True),
        ("only_some", False), ("error_text", False), ("samples", True),
    ],
    Category.Kind.OUTAGE: [("since", True), ("affected", True), ("error_seen", False)],
    Category.Kind.UPGRADE: [("to_add", True)],
    Category.Kind.BACKUP_RESTORE: [
        ("operation", True), ("what", True), ("from_date", False), ("destination", True),
    ],
}  # fmt: skip


class TicketForm(AttachmentsForm):
    category = CategoryChoiceField(
        label=_("What is it about?"), queryset=Category.objects.none(), empty_label=None
    )  # the template lists the categories under their departments
    service: "forms.ModelChoiceField[Service]" = forms.ModelChoiceField(
        label=_("Service or domain"),
        queryset=None,
        required=False,
        empty_label=_("— none (general question) —"),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        choices=[(Priority.NORMAL, _("Normal")), (Priority.LOW, _("Low"))],
        initial=Priority.NORMAL,
    )
    subject = SubjectField(
        label=_("Subject"),
        max_length=200,
        help_text=_("Say what and where, e.g. “Mail to info@example.it bounces: mailbox full”."),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Everything you know: what you did, what you expected, the exact error."),
    )
    # Email problems (HD-12)
    mailboxes = forms.CharField(label=_("Mailbox(es) concerned"), max_length=300, required=False)
    direction = forms.ChoiceField(
        label=_("The problem is in"),
        required=False,
        choices=[
            ("", "—"),
            ("sending", _("sending")),
            ("receiving", _("receiving")),
            ("both", _("sending and receiving")),
        ],
    )
    where = forms.ChoiceField(
        label=_("It happens with"),
        required=False,
        choices=[
            ("", "—"),
            ("client", _("a mail program (Outlook, Thunderbird…)")),
            ("webmail", _("webmail")),
            ("both", _("both")),
        ],
    )
    error_type = forms.CharField(label=_("Type of error"), max_length=200, required=False)
    only_some = forms.CharField(
        label=_("Only with some addresses? Which ones"), max_length=300, required=False
    )
    error_text = forms.CharField(
        label=_("The exact error message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    samples = forms.CharField(
        label=_("Some messages that failed (from, to, subject, date and time)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    # Outage report
    since = forms.CharField(label=_("Since when"), max_length=100, required=False)
    affected = forms.CharField(label=_("What does not work"), max_length=300, required=False)
    error_seen = forms.CharField(label=_("Error shown, if any"), max_length=300, required=False)
    # Upgrade (SRV-6)
    to_add = forms.CharField(
        label=_("What would you like to add"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    # Backup or restore (SRV-13)
    operation = forms.ChoiceField(
        label=_("Request"),
        required=False,
        choices=[("", "—"), ("backup", _("a backup")), ("restore", _("a restore"))],
    )
    what = forms.CharField(label=_("Of what (site, database, mailbox…)"), max_length=300,
                           required=False)  # fmt: skip
    from_date = forms.DateField(label=_("From the copy of"), widget=DATE, required=False)
    destination = forms.CharField(
        label=_("Where (overwrite, a new folder, a download…)"), max_length=300, required=False
    )
    attachments = attachments_field()

    def __init__(self, *args, client, round_the_clock=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(active=True).select_related(
            "department"
        )
        self.fields["service"].queryset = client.services.select_related("product").order_by("name")
        self.fields["service"].label_from_instance = lambda s: f"{s.name} ({s.product})"
        if round_the_clock:
            del self.fields["priority"]
        # The categories' own required questions, set by administrators in the desk.
        self.category_questions: dict[int, list[tuple[str, str]]] = {}
        for category in self.fields["category"].queryset:
            for number, question in enumerate(category.questions_in(), start=1):
                name = f"question_{category.pk}_{number}"
                self.fields[name] = forms.CharField(label=question, max_length=1000, required=False)
                self.category_questions.setdefault(category.pk, []).append((name, question))

    def question_fields(self):
        """(category id, bound fields) of every category with required questions."""
        return [
            (pk, [self[name] for name, _question in questions])
            for pk, questions in self.category_questions.items()
        ]

    def category_groups(self):
        """Categories grouped by department, for the select's optgroups."""
        groups = {}
        for category in self.fields["category"].queryset:
            groups.setdefault(category.department, []).append(category)
        return groups.items()

    def kind_fields(self):
        """(kind, bound fields) of every request kind with structured questions."""
        return [(kind, [self[name] for name, _r in fields]) for kind, fields in KIND_FIELDS.items()]

    def clean(self):
        data = super().clean()
        category = data.get("category")
        if category is None:
            return data
        if category.needs_service and not data.get("service"):
            self.add_error("service", _("Choose the service or domain this request is about."))
        for name, required in KIND_FIELDS.get(category.kind, []):
            if required and not data.get(name):
                self.add_error(name, _("This information is needed for this kind of request."))
        for name, _question in self.category_questions.get(category.pk, []):
            if not (data.get(name) or "").strip():
                self.add_error(name, _("This information is needed for this kind of request."))
        return data

    def details(self) -> dict:
        """The answers to the kind's questions, choices as the words the client read."""
        category = self.cleaned_data["category"]
        answers = {}
        for name, _required in KIND_FIELDS.get(category.kind, []):
            value = self.cleaned_data.get(name)
            if value:
                field = self.fields[name]
                choices = dict(getattr(field, "choices", []))
                answers[name] = str(choices.get(value, value))
        for name, question in self.category_questions.get(category.pk, []):
            answers[question[:200]] = self.cleaned_data.get(name, "").strip()
        return answers


class ClientReplyForm(AttachmentsForm):
    body = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = attachments_field()


class StaffReplyForm(AttachmentsForm):
    THEN = [
        (Ticket.Status.OPEN, _("keep it in progress")),
        (Ticket.Status.WAITING, _("wait for the client's answer")),
        (Ticket.Status.CLOSED, _("close the ticket")),
    ]
    body = forms.CharField(
        label=_("Answer to the client"), widget=forms.Textarea(attrs={"rows": 8})
    )
    then = forms.ChoiceField(label=_("Then"), choices=THEN, initial=Ticket.Status.OPEN)
    attachments = attachments_field()
    # The last message the writer had seen: a newer one stops the send (collision guard).
    seen = forms.IntegerField(widget=forms.HiddenInput, required=False)


class NoteForm(AttachmentsForm):
    note = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}))
    attachments = attachments_field()


class MoveForm(forms.Form):
    category = CategoryChoiceField(label=_("Move to"), queryset=Category.objects.all())
    reason = forms.CharField(label=_("Why"), max_length=500)


class MergeForm(forms.Form):
    target = forms.CharField(
        label=_("Merge into ticket"), max_length=20, help_text=_("The code of the other ticket.")
    )


class HoldForm(forms.Form):
    description = forms.CharField(
        label=_("Request to confirm from the panel"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What will be done once the client confirms it."),
    )


class UpgradeForm(forms.Form):
    description = forms.CharField(
        label=_("What would you like to add?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=10,
        max_length=2000,
    )


class AlertSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["ticket_alerts"]
        widgets = {"ticket_alerts": forms.RadioSelect}
