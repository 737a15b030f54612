"""The help desk's configuration in the desk, for administrators: departments, categories,
response targets, canned replies, agent signatures and the settings row. Every change goes
through `actions.save_configuration` / `delete_configuration`, which write the audit row."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.forms import ModelForm
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from sportello.core.access import ADMIN, staff_required
from sportello.core.params import to_search

from . import actions, config_forms
from .models import (
    AgentSignature,
    CannedReply,
    Category,
    Department,
    HelpdeskSettings,
    ResponseTarget,
)


@dataclass(frozen=True)
class Section:
    title: Promise
    new_label: Promise
    rows: Callable[[], QuerySet[Any]]
    form: type[ModelForm]
    columns: tuple[Promise, ...]
    cells: Callable[[Any], list[Any]]
    search: tuple[str, ...] = ()


def _hours(row: Department) -> str:
    return f"{row.opens_at:%H:%M}–{row.closes_at:%H:%M}"


SECTIONS: dict[str, Section] = {
    "departments": Section(
        _("Departments"),
        _("New department"),
        lambda: Department.objects.all(),
        config_forms.DepartmentForm,
        (_("Name"), _("Address"), _("Office hours")),
        lambda row: [row.label, row.email or "—", _hours(row)],
    ),
    "categories": Section(
        _("Ticket categories"),
        _("New category"),
        lambda: Category.objects.select_related("department"),
        config_forms.CategoryForm,
        (_("Name"), _("Department"), _("Required questions"), _("Offered to clients")),
        lambda row: [
            row.label,
            row.department.label,
            len(row.questions_in()),
            _("yes") if row.active else _("no"),
        ],
        ("name", "name_en", "name_es", "code"),
    ),  # fmt: skip
    "targets": Section(
        _("Response targets"),
        _("New response target"),
        lambda: ResponseTarget.objects.all(),
        config_forms.ResponseTargetForm,
        (_("Priority"), _("Support plan"), _("First answer (hours)"), _("Solution (hours)")),
        lambda row: [
            row.get_priority_display(),
            row.get_support_level_display() or _("any"),
            row.first_response_hours,
            row.resolution_hours,
        ],
    ),  # fmt: skip
    "canned": Section(
        _("Canned replies"),
        _("New canned reply"),
        lambda: CannedReply.objects.select_related("department", "owner"),
        config_forms.CannedReplyForm,
        (_("Title"), _("Language"), _("Department"), _("Personal reply of")),
        lambda row: [
            row.title,
            row.get_language_display(),
            row.department.label if row.department else _("every department"),
            row.owner.email if row.owner else "—",
        ],
        ("title", "body"),
    ),  # fmt: skip
    "signatures": Section(
        _("Agent signatures"),
        _("New signature"),
        lambda: AgentSignature.objects.select_related("user").order_by("user__email"),
        config_forms.AgentSignatureForm,
        (_("Staff member"), _("Signature")),
        lambda row: [row.user.email, row.text.splitlines()[0] if row.text else "—"],
    ),
}


def _section(name: str) -> Section:
    section = SECTIONS.get(name)
    if section is None:
        raise Http404
    return section


def _changed(form: ModelForm) -> list[str]:
    return [str(form.fields[name].label) for name in form.changed_data if name in form.fields]


@staff_required(ADMIN)
def config_home(request):
    return render(
        request,
        "helpdesk/desk/config/home.html",
        {
            "sections": [
                (name, section.title, section.rows().count()) for name, section in SECTIONS.items()
            ],  # fmt: skip
        },
    )


@staff_required(ADMIN)
def config_list(request, section):
    current = _section(section)
    query = to_search(request.GET.get("q"))
    rows = current.rows()
    if query and current.search:
        condition = Q()
        for field in current.search:
            condition |= Q(**{f"{field}__icontains": query})
        rows = rows.filter(condition)
    return render(
        request,
        "helpdesk/desk/config/list.html",
        {
            "section": section,
            "current": current,
            "rows": [(row, current.cells(row)) for row in rows[:500]],
            "query": query,
        },
    )


@staff_required(ADMIN)
def config_edit(request, section, pk=None):
    current = _section(section)
    model: type[Model] = current.form._meta.model
    row = get_object_or_404(model, pk=pk) if pk is not None else None
    form = current.form(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        saved = actions.save_configuration(
            form.save(commit=False), request.user, created=row is None, changed=_changed(form),
            request=request,
        )  # fmt: skip
        messages.success(request, _("Saved: %(row)s.") % {"row": saved})
        return redirect("desk:config_list", section=section)
    return render(
        request,
        "helpdesk/desk/config/edit.html",
        {"section": section, "current": current, "form": form, "row": row},
    )


@require_POST
@staff_required(ADMIN)
def config_delete(request, section, pk):
    current = _section(section)
    model: type[Model] = current.form._meta.model
    row = get_object_or_404(model, pk=pk)
    try:
        actions.delete_configuration(row, request.user, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("desk:config_edit", section=section, pk=pk)
    messages.success(request, _("Deleted: %(row)s.") % {"row": row})
    return redirect("desk:config_list", section=section)


@staff_required(ADMIN)
def config_settings(request):
    row = HelpdeskSettings.current()
    form = config_forms.HelpdeskSettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        actions.save_configuration(
            form.save(commit=False), request.user, created=False, changed=_changed(form),
            request=request,
        )  # fmt: skip
        messages.success(request, _("Help-desk settings saved."))
        return redirect("desk:config_settings")
    return render(request, "helpdesk/desk/config/settings.html", {"form": form})
