"""The widgets the renderer writes in Python give the HTML Django's own templates give."""

import datetime
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from sportello.core.form_renderer import WRITTEN, FormRenderer

HOSTILE = "<b>\"quoted\" & 'single'</b>"
VALUES = [None, "", "plain", HOSTILE, mark_safe("<i>safe</i>"), 0, 1234567, Decimal("12.50"),
          True, False, ["a", "b"], datetime.date(2026, 12, 7)]  # fmt: skip
ATTRS = [{}, {"class": "x", "required": True, "disabled": False},
         {"data-x": HOSTILE, "maxlength": 20, "rows": 3, "id": "id_<x>"}]  # fmt: skip
CHOICES = [
    [],
    [("", "---------"), (1, "one"), ("2", HOSTILE), (3, gettext_lazy("Italian"))],
    [("Group <1>", [(1, "a"), (2, "b")]), (3, "c"), (gettext_lazy("English"), [("x", 4)])],
]
INPUTS = [forms.TextInput, forms.NumberInput, forms.EmailInput, forms.URLInput,
          forms.PasswordInput, forms.HiddenInput, forms.DateInput, forms.DateTimeInput,
          forms.TimeInput, forms.FileInput, forms.CheckboxInput]  # fmt: skip


def both(widget, value):
    written = widget.render("field", value, renderer=FormRenderer())
    templated = widget.render("field", value, renderer=DjangoTemplates())
    return written, templated


@pytest.mark.parametrize("language", ["it", "en", "es"])
@pytest.mark.parametrize("attrs", ATTRS)
def test_inputs_and_text_areas_match_djangos_templates(language, attrs):
    with translation.override(language):
        for kind in [*INPUTS, forms.Textarea]:
            for value in VALUES:
                written, templated = both(kind(attrs=dict(attrs)), value)
                assert written == templated, (kind, value, attrs)


@pytest.mark.parametrize("language", ["it", "en", "es"])
@pytest.mark.parametrize("choices", CHOICES)
def test_selects_match_djangos_templates(language, choices):
    with translation.override(language):
        for attrs in ATTRS:
            for value in [None, "", 1, "2", "x", ["1", "3"], HOSTILE]:
                for kind in (forms.Select, forms.SelectMultiple, forms.NullBooleanSelect):
                    widget = kind(attrs=dict(attrs))
                    if kind is forms.NullBooleanSelect:
                        if isinstance(value, list):
                            continue  # one value only
                    else:
                        widget.choices = choices
                    written, templated = both(widget, value)
                    assert written == templated, (kind, value, attrs, choices)


def test_every_written_template_is_compared():
    kinds = {widget.template_name for widget in [*INPUTS, forms.Textarea, forms.Select]}
    written = set(WRITTEN) - {"django/forms/widgets/input.html"}
    # Those left are Django's other inputs (search, tel, color): the same one-line template.
    assert kinds <= written
    assert written - kinds <= {
        "django/forms/widgets/search.html",
        "django/forms/widgets/tel.html",
        "django/forms/widgets/color.html",
    }


def test_other_widgets_still_use_their_templates():
    widget = forms.RadioSelect(choices=[(1, "one"), (2, "two")])
    written = widget.render("field", 1, renderer=FormRenderer())
    assert written == widget.render("field", 1, renderer=DjangoTemplates())
    assert 'type="radio"' in written


def test_an_apps_own_widget_template_wins(tmp_path):
    folder = tmp_path / "django" / "forms" / "widgets"
    folder.mkdir(parents=True)
    own = "{% for name, value in widget.attrs.items %} own-{{ name }}{% endfor %}"
    (folder / "attrs.html").write_text(own)
    renderer = FormRenderer()
    engine = renderer.engine.engine
    engine.dirs = [str(tmp_path), *engine.dirs]  # found first, as an app's template would be
    engine.template_loaders[0].reset()
    renderer.__init__()
    assert renderer.written == {}
    html = forms.TextInput(attrs={"class": "x"}).render("field", "", renderer=renderer)
    assert html == '<input type="text" name="field" own-class>'
