"""The field tags write what the included templates they replace wrote."""

import pytest
from django import forms
from django.template import Context, Template, engines
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from sportello.helpdesk import forms as helpdesk_forms

# The templates as they were, before the tags.
FIELD = """<div class="field{% if field.errors %} has-error{% endif %}{% if field.widget_type == 'checkbox' %} check{% endif %}">
  {% if field.widget_type == 'checkbox' %}{{ field }} <label{% if field.id_for_label %} for="{{ field.id_for_label }}"{% endif %}>{{ field.label }}</label>{% else %}<label{% if field.id_for_label %} for="{{ field.id_for_label }}"{% endif %}>{{ field.label }}{% if field.field.required %} <span class="req" aria-hidden="true">*</span>{% endif %}</label>{{ field }}{% endif %}
  {% if field.help_text %}<small class="help">{{ field.help_text|safe }}</small>{% endif %}
  {% for error in field.errors %}<p class="error">{{ error }}</p>{% endfor %}
</div>
"""  # noqa: E501
FORM = """{% if form.non_field_errors %}<div class="errors">{{ form.non_field_errors }}</div>{% endif %}
{% for field in form.hidden_fields %}{{ field }}{% endfor %}
{% for field in form.visible_fields %}FIELD{% endfor %}
"""  # noqa: E501


class EveryKind(forms.Form):
    name = forms.CharField(label='Name <"&">', help_text=mark_safe("Up to <b>20</b>"))
    agree = forms.BooleanField(label=gettext_lazy("Italian"), required=False)
    count = forms.IntegerField(min_value=1, help_text="Whole & <positive>")
    kind = forms.ChoiceField(choices=[("a", "A & B"), ("b", "<b>")])
    note = forms.CharField(widget=forms.Textarea, required=False)
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    since = forms.DateField(required=False, show_hidden_initial=True, initial="2026-12-07")
    file = forms.FileField(required=False)

    def clean(self):
        if self.cleaned_data.get("note") == "refuse":
            raise forms.ValidationError(["One <problem>", "and another"])
        return self.cleaned_data


def forms_to_compare():
    data = {"name": "<script>", "count": "x", "kind": "z", "note": "refuse", "agree": "on"}
    yield EveryKind()
    yield EveryKind(data)
    yield EveryKind({"name": "ok", "count": "3", "kind": "a", "note": "refuse"})
    yield EveryKind(auto_id=False)
    yield EveryKind(data, prefix="p", auto_id="f-%s")
    yield helpdesk_forms.StaffReplyForm(initial={"body": "Hello <you>", "seen": 4})
    yield helpdesk_forms.StaffReplyForm({"body": "", "then": "nope"})
    yield helpdesk_forms.NoteForm()
    yield helpdesk_forms.MoveForm({"category": "x"})
    yield helpdesk_forms.MergeForm()
    yield helpdesk_forms.HoldForm({"description": ""})
    yield helpdesk_forms.ClientReplyForm()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["it", "en", "es"])
def test_form_fields_write_what_the_templates_wrote(language):
    old_form = Template(FORM.replace("FIELD", FIELD))
    old_field = Template(FIELD)
    new_form = engines["django"].from_string('{% include "core/form_fields.html" %}')
    new_field = engines["django"].from_string('{% include "core/field.html" %}')
    with translation.override(language):
        for form in forms_to_compare():
            assert new_form.render({"form": form}) == old_form.render(Context({"form": form}))
            for field in form:
                expected = old_field.render(Context({"field": field}))
                assert new_field.render({"field": field}) == expected, field.name
