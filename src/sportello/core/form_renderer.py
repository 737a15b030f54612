"""Django's form renderer, with the common widgets written out in Python.

A page's form fields are each rendered through two or three small templates (the widget,
its attributes, each option of a select): on the staff ticket page, with its five forms,
that was a fifth of the page's time. The widgets below produce the same HTML as Django's
own templates (`tests/test_form_renderer.py` compares them widget by widget); a widget
whose template is another one, or one an app overrides, is rendered by its template as
before.
"""

from pathlib import Path

import django.forms
from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs

WIDGETS = "django/forms/widgets/"
DJANGO_WIDGETS = Path(django.forms.__file__).parent / "templates" / "django" / "forms" / "widgets"


def shown(value) -> str:
    """`{{ value }}` in a template: localised, then escaped unless already safe."""
    return conditional_escape(localize(template_localtime(value)))


def formatted(value) -> str:
    """`{{ value|stringformat:'s' }}`: the filter keeps a safe value safe."""
    return str(value) if isinstance(value, SafeData) else escape(value)


def attributes(attrs: dict) -> str:
    """django/forms/widgets/attrs.html"""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {shown(name)}" if value is True else f' {shown(name)}="{formatted(value)}"')
    return "".join(parts)


def input_tag(widget: dict) -> str:
    """django/forms/widgets/input.html, and those that only include it."""
    value = widget["value"]
    shown_value = "" if value is None else f' value="{formatted(value)}"'
    return (
        f'<input type="{shown(widget["type"])}" name="{shown(widget["name"])}"'
        f"{shown_value}{attributes(widget['attrs'])}>"
    )


def textarea(widget: dict) -> str:
    value = shown(widget["value"]) if widget["value"] else ""
    opening = f'<textarea name="{shown(widget["name"])}"{attributes(widget["attrs"])}>'
    return f"{opening}\n{value}</textarea>"


def select(widget: dict) -> str | None:
    parts = [f'<select name="{shown(widget["name"])}"{attributes(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{shown(group_name)}">')
        for option in options:
            if option["template_name"] != WIDGETS + "select_option.html":
                return None
            parts.append(
                f'\n  <option value="{formatted(option["value"])}"{attributes(option["attrs"])}>'
                f"{shown(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


INPUTS = (
    "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time",
    "search", "tel", "color", "file", "checkbox",
)  # fmt: skip
WRITTEN = {WIDGETS + f"{name}.html": input_tag for name in INPUTS} | {
    WIDGETS + "textarea.html": textarea,
    WIDGETS + "select.html": select,
}


class FormRenderer(DjangoTemplates):
    def __init__(self):
        super().__init__()
        # An app's own template for a widget wins, as it would without this renderer.
        templates = [*WRITTEN, WIDGETS + "attrs.html", WIDGETS + "select_option.html"]
        django_own = all(
            Path(self.get_template(name).origin.name).parent == DJANGO_WIDGETS for name in templates
        )
        self.written = WRITTEN if django_own else {}

    def render(self, template_name, context, request=None):
        function = self.written.get(template_name)
        html = function(context["widget"]) if function else None
        if html is None:
            return super().render(template_name, context, request)
        return mark_safe(html)
