"""The report pages (`/desk/reports/…`): the period form, the chart, the table, the CSV.
Billing reports are for administrators and billing clerks; the help-desk ones for all staff."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from sportello.core.access import ADMIN, AGENT, BILLING, staff_required

from . import charts, figures
from .csvfile import as_csv
from .forms import ReceivablesForm, RenewalsForm, RevenueForm, VatPeriodForm, WeeksForm

BILLING_ROLES = (ADMIN, BILLING)
ALL_STAFF = (ADMIN, BILLING, AGENT)


@dataclass(frozen=True)
class Report:
    slug: str
    title: Any
    description: Any
    roles: tuple[str, ...]
    form: type[forms.Form]
    compute: Callable[[forms.Form, datetime], figures.Figures]


def _vat(form: forms.Form, now: datetime) -> figures.Figures:
    assert isinstance(form, VatPeriodForm)
    return figures.vat_summary(*form.dates())


REPORTS = [
    Report(
        "revenue", _("Revenue by month"),
        _("Net revenue of issued invoices by product type, credit notes subtracted, over twelve "
          "months by fiscal date."),
        BILLING_ROLES, RevenueForm,
        lambda form, now: figures.revenue(form.cleaned_data["until"]),
    ),
    Report(
        "vat", _("VAT summary"),
        _("Taxable amount and VAT by country, rate and VAT treatment of the invoices and credit "
          "notes dated in the period: the figures for the periodic VAT return."),
        BILLING_ROLES, VatPeriodForm, _vat,
    ),
    Report(
        "receivables", _("Receivables ageing"),
        _("What is still to collect on issued invoices, by days past the due date. Payment "
          "notices (pro-forma) are not counted until they are paid and numbered."),
        BILLING_ROLES, ReceivablesForm,
        lambda form, now: figures.receivables(timezone.localdate(now), form.cleaned_data["top"]),
    ),
    Report(
        "renewals", _("Renewal forecast"),
        _("Services whose period ends soon and that are not being cancelled, by week, with "
          "the amount they are expected to bring."),
        BILLING_ROLES, RenewalsForm,
        lambda form, now: figures.renewals(timezone.localdate(now), form.cleaned_data["days"]),
    ),
    Report(
        "helpdesk", _("Help-desk volume"),
        _("Tickets opened and closed each week, by department and channel."),
        ALL_STAFF, WeeksForm,
        lambda form, now: figures.helpdesk_volume(
            timezone.localdate(now), form.cleaned_data["weeks"]),
    ),
    Report(
        "kb", _("Knowledge-base deflection"),
        _("Articles opened from the suggestions shown while a ticket is written, and the "
          "tickets they avoided, against the tickets opened each week."),
        ALL_STAFF, WeeksForm,
        lambda form, now: figures.kb_deflection(now, form.cleaned_data["weeks"]),
    ),
]  # fmt: skip
BY_SLUG = {report.slug: report for report in REPORTS}


def allowed(report: Report, user) -> bool:
    return bool(user.is_superuser or user.role in report.roles)


def _bound_form(report: Report, request) -> forms.Form:
    today: date = timezone.localdate()
    data = report.form.defaults(today)  # type: ignore[attr-defined]
    data.update({key: request.GET[key] for key in report.form.base_fields if key in request.GET})
    return report.form(data)


@staff_required()
@require_GET
def index(request):
    visible = [report for report in REPORTS if allowed(report, request.user)]
    return render(request, "reports/desk/index.html", {"reports": visible, "section": "index"})


def report_page(slug: str):
    report = BY_SLUG[slug]

    @staff_required(*report.roles)
    @require_GET
    def view(request):
        form = _bound_form(report, request)
        context: dict[str, Any] = {
            "report": report,
            "reports": [r for r in REPORTS if allowed(r, request.user)],
            "form": form,
            "section": report.slug,
        }
        if not form.is_valid():
            return render(request, "reports/desk/report.html", context, status=400)
        found = report.compute(form, timezone.now())
        draw = charts.line_chart if found.chart_kind == "line" else charts.bar_chart
        context.update(
            figures=found,
            chart=draw(str(report.title), found.chart_labels, found.chart_series, found.chart_unit),
            query=request.GET.urlencode(),
        )
        return render(request, "reports/desk/report.html", context)

    view.__name__ = f"{slug}_report"
    return view


def report_csv(slug: str):
    report = BY_SLUG[slug]

    @staff_required(*report.roles)
    @require_GET
    def view(request):
        form = _bound_form(report, request)
        if not form.is_valid():
            errors = "; ".join(f"{form.fields[name].label}: {' '.join(messages)}"
                               for name, messages in form.errors.items())  # fmt: skip
            return HttpResponse(errors, content_type="text/plain; charset=utf-8", status=400)
        found = report.compute(form, timezone.now())
        stamp = "-".join(str(value) for value in form.data.values())
        response = HttpResponse(as_csv(found), content_type="text/csv; charset=utf-8")
        filename = f"{slug}-{stamp}.csv".replace(" ", "")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    view.__name__ = f"{slug}_csv"
    return view
