"""Forms of the server pages. They check input; the actions decide."""

from datetime import datetime, time

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .actions import interval_choices
from .models import Migration, Monitor


def date_input():
    # ISO format, or the browser's date picker cannot show the initial value.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SlotForm(forms.Form):
    """A day and a time for the IP switch, in the provider's time zone."""

    day = forms.DateField(label=_("Day"), widget=date_input())
    at = forms.TimeField(
        label=_("Time"),
        initial=time(10, 0),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )

    def __init__(self, *args, window=None, **kwargs):
        """`window`: a timeline.SwitchWindow; the date picker offers only its days (the
        action still checks every rule)."""
        super().__init__(*args, **kwargs)
        if window is not None:
            self.fields["day"].widget.attrs.update(
                min=window.earliest.isoformat(), max=window.latest.isoformat()
            )

    @property
    def switch_at(self) -> datetime:
        return timezone.make_aware(
            datetime.combine(self.cleaned_data["day"], self.cleaned_data["at"])
        )


class OpenMigrationForm(SlotForm):
    reason = forms.CharField(
        label=_("Reason (shown to the client)"),
        max_length=300,
        required=False,
        help_text=_("For example: the hardware is at the end of its life."),
    )


class WishesForm(forms.ModelForm):
    class Meta:
        model = Migration
        fields = ["os_version", "libraries", "control_panel", "wishes_notes"]
        widgets = {
            "libraries": forms.Textarea(attrs={"rows": 3}),
            "wishes_notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "os_version": _("For example: Debian 12, AlmaLinux 9, Windows Server 2022."),
            "libraries": _("Packages and versions to install: PHP 8.3, MariaDB 10.11…"),
            "control_panel": _("For example: Plesk, cPanel, none."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["os_version"].required = True


class NewServerForm(forms.Form):
    name = forms.CharField(label=_("New server"), max_length=120)
    temporary_ip = forms.GenericIPAddressField(label=_("Temporary IP"))


class MonitorForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to check"), choices=Monitor.Kind.choices)
    port = forms.IntegerField(label=_("Port"), required=False, min_value=1, max_value=65535)
    url = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=500,
        help_text=_("We connect to your server's IP and ask for this address."),
    )
    expected_status = forms.IntegerField(
        label=_("Expected HTTP status"), required=False, initial=200, min_value=100, max_value=599
    )
    interval_minutes = forms.TypedChoiceField(label=_("Check every"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = interval_choices()
        self.fields["interval_minutes"].choices = [
            (m, _("%(minutes)s minutes") % {"minutes": m}) for m in choices
        ]
        self.fields["interval_minutes"].initial = choices[0]

    def clean(self):
        data = super().clean()
        if data.get("kind") == Monitor.Kind.TCP and not data.get("port"):
            self.add_error("port", _("Give the port to check."))
        if data.get("kind") == Monitor.Kind.HTTP:
            if not data.get("url"):
                self.add_error("url", _("Give the address to check."))
            if not data.get("expected_status"):
                self.add_error("expected_status", _("Give the status the address answers with."))
        return data
