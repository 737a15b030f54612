import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import zone

HOST = re.compile(r"^(?=.{4,253}$)((?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$")
FEWEST_NAMESERVERS, MOST_NAMESERVERS = 2, 6


class NameserversForm(forms.Form):
    nameservers = forms.CharField(
        label=_("Name servers"), max_length=1600,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=_("One per line, from two to six: ns1.example.it"),
    )  # fmt: skip

    def clean_nameservers(self) -> list[str]:
        found = []
        for name in re.split(r"[\s,;]+", self.cleaned_data["nameservers"].lower()):
            name = name.strip().rstrip(".")
            if not name:
                continue
            if not HOST.match(name):
                raise ValidationError(_("“%(name)s” is not a name server.") % {"name": name[:80]})
            if name not in found:
                found.append(name)
        if not FEWEST_NAMESERVERS <= len(found) <= MOST_NAMESERVERS:
            raise ValidationError(_("Write from two to six name servers."))
        return found


class LockForm(forms.Form):
    locked = forms.TypedChoiceField(
        choices=[("1", _("Locked")), ("0", _("Unlocked"))], coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )  # fmt: skip


class RecordForm(forms.Form):
    """One name and type of the zone with all its values: written, they replace what the
    zone had for that name and type."""

    name = forms.CharField(
        label=_("Name"), max_length=253, required=False,
        help_text=_("@ or empty for the domain itself; www, mail, *.shop for names under it"),
    )  # fmt: skip
    type = forms.ChoiceField(label=_("Type"), choices=[(t, t) for t in zone.TYPES])
    ttl = forms.IntegerField(label=_("TTL (seconds)"), initial=3600, min_value=zone.SHORTEST_TTL,
                             max_value=zone.LONGEST_TTL)  # fmt: skip
    values = forms.CharField(
        label=_("Values"), max_length=zone.LONGEST_TXT * 2,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_("One per line: 192.0.2.10 · 10 mail.example.it. · v=spf1 mx -all"),
    )  # fmt: skip

    def __init__(self, *args, zone_name: str, existing: list[zone.RRSet], **kwargs):
        super().__init__(*args, **kwargs)
        self.zone_name, self.existing = zone_name, existing

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["rrset"] = zone.clean_rrset(
                self.zone_name, data.get("name", ""), data["type"], data["ttl"],
                data["values"].splitlines(), self.existing,
            )  # fmt: skip
        except ValidationError as error:
            raise ValidationError(error.messages) from error
        return data


class DeleteRecordForm(forms.Form):
    name = forms.CharField(max_length=254, widget=forms.HiddenInput)
    type = forms.ChoiceField(choices=[(t, t) for t in zone.TYPES], widget=forms.HiddenInput)

    def __init__(self, *args, zone_name: str, existing: list[zone.RRSet], **kwargs):
        super().__init__(*args, **kwargs)
        self.zone_name, self.existing = zone_name, existing

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        name = zone.fqdn(data["name"])
        for rrset in self.existing:
            if rrset.name == name and rrset.type == data["type"]:
                if not rrset.editable(self.zone_name):
                    raise ValidationError(_("The zone's own name servers are set by us."))
                data["rrset"] = zone.RRSet(rrset.name, rrset.type, rrset.ttl, [])
                return data
        raise ValidationError(_("This record is no longer in the zone."))
