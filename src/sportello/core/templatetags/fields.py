"""A form's fields as the project lays them out: label, widget, help and errors.

Written in Python rather than as included templates: a field took the template engine
about a quarter of a millisecond of lookups, and a page such as the staff ticket page
shows a dozen. `core/field.html` and `core/form_fields.html` call these tags, so every page
that includes them keeps doing so; the tests compare the HTML with the templates' before.
"""

from django import template
from django.utils.safestring import mark_safe

from sportello.core.form_renderer import shown

register = template.Library()

REQUIRED = ' <span class="req" aria-hidden="true">*</span>'


@register.simple_tag
def field_block(field) -> str:
    errors = field.errors
    checkbox = field.widget_type == "checkbox"
    target = field.id_for_label
    label_for = f' for="{shown(target)}"' if target else ""
    label = f"<label{label_for}>{shown(field.label)}"
    if checkbox:
        content = f"{field} {label}</label>"
    else:
        content = f"{label}{REQUIRED if field.field.required else ''}</label>{field}"
    help_text = f'<small class="help">{field.help_text}</small>' if field.help_text else ""
    listed = "".join(f'<p class="error">{shown(error)}</p>' for error in errors)
    classes = f"field{' has-error' if errors else ''}{' check' if checkbox else ''}"
    return mark_safe(f'<div class="{classes}">\n  {content}\n  {help_text}\n  {listed}\n</div>\n')


@register.simple_tag
def form_fields(form) -> str:
    problems = form.non_field_errors()
    head = f'<div class="errors">{shown(problems)}</div>' if problems else ""
    hidden = "".join(str(field) for field in form.hidden_fields())
    visible = "".join(field_block(field) for field in form.visible_fields())
    return mark_safe(f"{head}\n{hidden}\n{visible}\n")
