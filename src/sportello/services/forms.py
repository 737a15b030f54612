from django import forms
from django.utils.translation import gettext_lazy as _


class CancellationForm(forms.Form):
    received_on = forms.DateField(
        label=_("Registered letter received on"), widget=forms.DateInput(attrs={"type": "date"})
    )
