"""Extra-contract forms: they check the shape of the input; the actions decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from sportello.accounts.models import User
from sportello.helpdesk.forms import AttachmentsForm, SubjectField, attachments_field
from sportello.services.models import Service

from .models import Intervention, Level, Skill, TimeEntry
from .pricing import Kind

MINUTE = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def when_field(label, **options):
    return forms.DateTimeField(label=label, widget=MINUTE, **options)


class SkillField(forms.ModelChoiceField):
    def label_from_instance(self, skill):
        return skill.label


class RequestForm(AttachmentsForm):
    request = forms.ChoiceField(
        label=_("Kind of intervention"),
        choices=Intervention.Request.choices,
        initial=Intervention.Request.ORDINARY,
        widget=forms.RadioSelect,
    )
    skill = SkillField(
        label=_("Area"), queryset=Skill.objects.all(), empty_label=_("— choose —"),
        help_text=_("We assign the request to a technician prepared for this kind of work."),
    )  # fmt: skip
    service: "forms.ModelChoiceField[Service]" = forms.ModelChoiceField(
        label=_("Server or service"), queryset=None, required=False,
        empty_label=_("— none —"),
    )  # fmt: skip
    preferred_start = when_field(
        _("Preferred date and time"), required=False,
        help_text=_("Needed for planned work: at least one working day ahead, better a week."),
    )  # fmt: skip
    preferred_notes = forms.CharField(
        label=_("Other dates and times that suit you"), max_length=300, required=False
    )
    subject = SubjectField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("What should be done"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("The more precise, the more precise our estimate."),
    )
    attachments = attachments_field()

    def __init__(self, *args, client, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = client.services.select_related("product").order_by("name")
        self.fields["service"].label_from_instance = lambda s: f"{s.name} ({s.product})"

    def clean(self):
        data = super().clean()
        if data.get("request") == Intervention.Request.PLANNED and not data.get("preferred_start"):
            self.add_error(
                "preferred_start", _("Give the preferred date and time for planned work.")
            )
        return data


class EstimateForm(forms.Form):
    """The free preliminary estimate (EXT-7)."""

    KINDS = [
        ("ordinary", _("Ordinary")),
        ("urgent", _("Urgent")),
        ("planned", _("Planned night or holiday work")),
        ("simple", _("Simple help by the on-duty staff (e.g. a reboot)")),
    ]
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices, initial=Level.JUNIOR)
    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS, initial="ordinary",
                             widget=forms.RadioSelect)  # fmt: skip
    start = when_field(_("Start"))
    minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, max_value=24 * 60)

    def kind_flags(self) -> Kind:
        kind = self.cleaned_data["kind"]
        return Kind(urgent=kind == "urgent", planned=kind == "planned", simple=kind == "simple")


class StaffEstimateForm(forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    start = when_field(_("Planned start"))
    minutes = forms.IntegerField(label=_("Expected duration (minutes)"), min_value=1,
                                 max_value=7 * 24 * 60)  # fmt: skip


class TechnicianField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        name = user.get_full_name() or user.email
        return f"{name} ({user.technician.get_level_display()})"


class TakeForm(forms.Form):
    technician = TechnicianField(label=_("Technician"), queryset=User.objects.none(),
                                 empty_label=None)  # fmt: skip

    def __init__(self, *args, technicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians


class TimeEntryForm(forms.Form):
    technician = TechnicianField(
        label=_("Who"),
        queryset=User.objects.filter(is_staff=True, is_active=True, technician__isnull=False)
        .select_related("technician")
        .order_by("first_name", "email"),
        empty_label=None,
    )
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    kind = forms.ChoiceField(label=_("Kind of work"), choices=TimeEntry.Kind.choices)
    start = when_field(_("Start"))
    end = when_field(_("End"))
    note = forms.CharField(label=_("What was done"), max_length=300, required=False)

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The end must come after the start."))
        return data


class NotPossibleForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is not possible"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the client, who is told nothing is charged and that we will "
                    "contact them about alternatives."),
    )  # fmt: skip
