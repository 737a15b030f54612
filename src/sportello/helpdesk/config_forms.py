"""The administrator's forms for the help desk's configuration: input checks only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sportello.accounts.models import User

from .models import (
    AgentSignature,
    CannedReply,
    Category,
    Department,
    HelpdeskSettings,
    ResponseTarget,
)

TEXTAREA = forms.Textarea(attrs={"rows": 4})
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def staff_members():
    return User.objects.filter(is_staff=True, is_active=True).order_by("email")


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "name_en", "name_es", "code", "description", "email", "opens_at",
                  "closes_at", "position", "email_category"]  # fmt: skip
        widgets = {"opens_at": TIME, "closes_at": TIME}

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and opens >= closes:
            self.add_error("closes_at", _("The office must close after it opens."))
        category = data.get("email_category")
        if category is not None and self.instance.pk and category.department_id != self.instance.pk:
            self.add_error("email_category", _("Choose a category of this department."))
        return data


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["name", "name_en", "name_es", "code", "department", "kind", "needs_service",
                  "position", "active", "questions", "questions_en", "questions_es"]  # fmt: skip
        widgets = {"questions": TEXTAREA, "questions_en": TEXTAREA, "questions_es": TEXTAREA}

    def clean(self):
        data = super().clean()
        for name in ("questions", "questions_en", "questions_es"):
            for line in (data.get(name) or "").splitlines():
                if len(line.strip()) > 200:
                    self.add_error(name, _("Keep each question within 200 characters."))
                    break
        return data


class ResponseTargetForm(forms.ModelForm):
    class Meta:
        model = ResponseTarget
        fields = ["priority", "support_level", "first_response_hours", "resolution_hours"]

    def clean(self):
        data = super().clean()
        first, resolution = data.get("first_response_hours"), data.get("resolution_hours")
        if first is not None and first < 1:
            self.add_error("first_response_hours", _("At least one hour."))
        if first and resolution is not None and resolution < first:
            self.add_error(
                "resolution_hours", _("The solution cannot be due before the first answer.")
            )
        for name in ("first_response_hours", "resolution_hours"):
            if (data.get(name) or 0) > 24 * 90:
                self.add_error(name, _("At most 90 days."))
        return data


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "language", "department", "owner", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}
        help_texts = {
            "body": _(
                "Placeholders: {client} the client's name, {code} the ticket code, {subject}, "
                "{service}, {department} and {agent} the agent who answers."
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff_members()


class AgentSignatureForm(forms.ModelForm):
    class Meta:
        model = AgentSignature
        fields = ["user", "text", "text_en", "text_es"]
        widgets = {"text": TEXTAREA, "text_en": TEXTAREA, "text_es": TEXTAREA}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_members()


class HelpdeskSettingsForm(forms.ModelForm):
    class Meta:
        model = HelpdeskSettings
        fields = ["generic_subjects", "auto_close_hours", "reopen_days", "attachment_max_mb",
                  "message_attachments_max_mb", "ticket_attachments_max_mb", "attachment_types",
                  "holiday_country"]  # fmt: skip
        widgets = {"generic_subjects": forms.Textarea(attrs={"rows": 10})}

    def clean_attachment_types(self):
        value = self.cleaned_data["attachment_types"]
        parts = [part.strip().lower().lstrip(".") for part in value.split(",") if part.strip()]
        if not parts or not all(part.isalnum() and len(part) <= 10 for part in parts):
            raise forms.ValidationError(_("File name extensions, comma-separated: pdf,png,txt"))
        return ",".join(dict.fromkeys(parts))

    def clean_holiday_country(self):
        value = self.cleaned_data["holiday_country"].strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise forms.ValidationError(_("A two-letter country code, e.g. IT."))
        return value

    def clean(self):
        data = super().clean()
        one, message = data.get("attachment_max_mb"), data.get("message_attachments_max_mb")
        ticket = data.get("ticket_attachments_max_mb")
        if one is not None and message is not None and message < one:
            self.add_error("message_attachments_max_mb", _("At least the limit of one attachment."))
        if message is not None and ticket is not None and ticket < message:
            self.add_error("ticket_attachments_max_mb", _("At least the limit of one message."))
        for name in (
            "attachment_max_mb",
            "message_attachments_max_mb",
            "ticket_attachments_max_mb",
        ):
            if data.get(name) is not None and not 1 <= data[name] <= 1024:
                self.add_error(name, _("Between 1 and 1024 MB."))
        if data.get("auto_close_hours") is not None and data["auto_close_hours"] < 1:
            self.add_error("auto_close_hours", _("At least one hour."))
        return data
