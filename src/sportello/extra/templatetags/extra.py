from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.extra import actions
from sportello.extra.forms import NotPossibleForm, StaffEstimateForm, TakeForm, TimeEntryForm
from sportello.extra.models import ExtraSettings, Intervention
from sportello.extra.pricing import Breakdown, duration

register = template.Library()


def _intervention(ticket):
    return (
        Intervention.objects.select_related("quote", "skill", "technician__technician")
        .filter(ticket=ticket)
        .first()
    )


def _common(intervention, now):
    charges = actions.running_charge(intervention)
    estimate = Breakdown.from_dict(intervention.estimate) if intervention.estimate else None
    return {
        "intervention": intervention,
        "charges": charges,
        "estimate": estimate,
        "entries": intervention.entries.select_related("technician", "billed_line"),
        "billed": intervention.billed_lines.select_related("charge__invoice_line__invoice"),
        "settings": ExtraSettings.current(),
        "now": now,
    }


@register.inclusion_tag("extra/_client_panel.html", takes_context=True)
def extra_client_panel(context, ticket):
    intervention = _intervention(ticket)
    if intervention is None:
        return {"intervention": None}
    return {**_common(intervention, timezone.now()), "ticket": ticket,
            "csrf_token": context.get("csrf_token")}  # fmt: skip


@register.inclusion_tag("extra/_desk_panel.html", takes_context=True)
def extra_desk_panel(context, ticket):
    intervention = _intervention(ticket)
    if intervention is None:
        return {"intervention": None}
    now = timezone.now()
    user = context["request"].user
    technicians = actions.qualified_technicians(intervention)
    profile = getattr(user, "technician", None)
    local_now = timezone.localtime(now).replace(second=0, microsecond=0)
    log_initial = {
        "technician": user.pk if profile else None,
        "level": profile.level if profile else "junior",
        "kind": "reboot" if intervention.request == "reboot" else "work",
        "end": local_now,
    }
    estimate_initial = {
        "level": profile.level if profile else "junior",
        "start": intervention.preferred_start or local_now,
    }
    return {
        **_common(intervention, now),
        "ticket": ticket,
        "csrf_token": context.get("csrf_token"),
        "plan": actions.support_plan(ticket),
        "forms": {
            "take": TakeForm(
                technicians=technicians, initial={"technician": intervention.ticket.assignee_id}
            ),
            "estimate": StaffEstimateForm(initial=estimate_initial),
            "log": TimeEntryForm(initial=log_initial),
            "not_possible": NotPossibleForm(),
        },  # fmt: skip
        "has_technicians": technicians.exists(),
    }


@register.simple_tag
def countdown(due, now) -> str:
    """'in 3 h 20 min' or 'late by 15 min'."""
    minutes = int((due - now).total_seconds() // 60)
    if minutes >= 0:
        return _("in %(time)s") % {"time": duration(max(minutes, 1))}
    return _("late by %(time)s") % {"time": duration(-minutes)}


@register.filter
def breakdown_of(data) -> Breakdown | None:
    if not data or "band" not in data:
        return None
    return Breakdown.from_dict(data)
