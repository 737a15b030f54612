"""Extra-contract pages: the client's rate card, request and estimate; the desk's list of
requests with their take-in-charge countdown; the ticket panels' actions. Every ticket is
fetched through the client's own tickets, or the tickets the staff member may see."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.core.access import client_required, staff_required
from sportello.core.params import to_id
from sportello.helpdesk.desk_views import get_ticket, visible_tickets
from sportello.helpdesk.models import Ticket
from sportello.helpdesk.uploads import refused_uploads

from . import actions
from .forms import (
    EstimateForm,
    NotPossibleForm,
    RequestForm,
    StaffEstimateForm,
    TakeForm,
    TimeEntryForm,
)
from .models import ExtraSettings, Intervention, Rate, TimeEntry
from .pricing import price


def _rate_rows():
    """The rate card as one row per band, junior and senior side by side."""
    rows = {}
    for rate in Rate.objects.all():
        rows.setdefault(rate.band, {"band": rate.get_band_display()})[rate.level] = rate
    order = ["ordinary", "planned", "urgent", "on_duty"]
    return [rows[band] for band in order if band in rows]


def _estimate(request, form):
    """The free estimate: the breakdown, or the form's errors."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return price(data["level"], form.kind_flags(), data["start"], data["minutes"])
    except ValidationError as error:
        form.add_error(None, error)
        return None


# --- Client -----------------------------------------------------------------------------


@client_required
def client_home(request, client):
    interventions = (
        Intervention.objects.filter(ticket__client=client)
        .select_related("ticket", "quote")
        .order_by("-ticket__created_at")
    )
    return render(request, "extra/portal_home.html", {
        "client": client, "rates": _rate_rows(), "settings": ExtraSettings.current(),
        "interventions": interventions,
    })  # fmt: skip


@client_required
def client_request(request, client):
    if not client.may_use_helpdesk:
        return render(request, "helpdesk/ticket_no_access.html", {"client": client})
    form = RequestForm(request.POST or None, request.FILES or None, client=client,
                       initial={"service": request.GET.get("service")},
                       refused=refused_uploads(request))  # fmt: skip
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            intervention = actions.request_intervention(
                client, request=data["request"], skill=data["skill"], service=data["service"],
                subject=data["subject"], body=data["description"],
                preferred_start=data["preferred_start"], preferred_notes=data["preferred_notes"],
                attachments=data["attachments"], user=request.user, now=timezone.now(),
                http_request=request,
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Request %(code)s received: we have emailed you a copy.")
                             % {"code": intervention.ticket.code})  # fmt: skip
            return redirect("portal:ticket", code=intervention.ticket.code)
    settings = ExtraSettings.current()
    return render(request, "extra/portal_request.html", {
        "client": client, "form": form, "settings": settings,
        "earliest": actions.earliest_planned_day(timezone.now()),
    })  # fmt: skip


@client_required
def client_estimate(request, client):
    form = EstimateForm(request.GET if "level" in request.GET else None)
    breakdown = _estimate(request, form) if form.is_bound else None
    return render(request, "extra/estimate.html", {
        "form": form, "breakdown": breakdown, "base": "portal", "rates": _rate_rows(),
        "settings": ExtraSettings.current(),
    })  # fmt: skip


@client_required
@require_POST
def client_quote(request, client, code):
    ticket = get_object_or_404(client.tickets, code=code)
    intervention = get_object_or_404(Intervention, ticket=ticket)
    approve = request.POST.get("decision") == "approve"
    try:
        actions.decide_quote(intervention, request.user, approve, timezone.now(),
                             request=request)  # fmt: skip
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Thank you: the quote is approved and work can start.")
                         if approve else
                         _("You refused the quote: only work already done is billed."))  # fmt: skip
    return redirect("portal:ticket", code=ticket.code)


# --- Staff ------------------------------------------------------------------------------------


@staff_required()
def desk_list(request):
    now = timezone.now()
    show = request.GET.get("show", "open")
    interventions = Intervention.objects.filter(
        ticket__in=visible_tickets(request.user)
    ).select_related("ticket__client", "technician", "skill", "quote")
    active = Q(ticket__status__in=Ticket.OPEN_STATUSES) & ~Q(outcome="not_possible")
    if show == "closed":
        interventions = interventions.exclude(active).order_by("-ticket__closed_at")[:100]
    else:
        interventions = interventions.filter(active).order_by(
            "taken_in_charge_at", "take_in_charge_due"
        )
    return render(request, "extra/desk_list.html", {
        "interventions": interventions, "now": now, "show": show,
    })  # fmt: skip


@staff_required()
def desk_estimate(request):
    form = EstimateForm(request.GET if "level" in request.GET else None)
    breakdown = _estimate(request, form) if form.is_bound else None
    return render(request, "extra/estimate.html", {
        "form": form, "breakdown": breakdown, "base": "desk", "rates": _rate_rows(),
        "settings": ExtraSettings.current(),
    })  # fmt: skip


@staff_required()
@require_POST
def desk_action(request, code, action):
    ticket = get_ticket(request.user, code)
    intervention = get_object_or_404(Intervention, ticket=ticket)
    staff, now = request.user, timezone.now()
    done = {
        "take": _("Taken in charge."),
        "estimate": _("Estimate sent to the client."),
        "log": _("Time logged."),
        "delete": _("Time entry removed."),
        "not_possible": _("Closed as not possible: the client has been told."),
    }
    if action not in done:
        raise Http404
    try:
        if action == "take":
            form = TakeForm(request.POST, technicians=actions.qualified_technicians(intervention))
            _valid(form)
            actions.take_in_charge(intervention, staff, form.cleaned_data["technician"], now)
        elif action == "estimate":
            form = _valid(StaffEstimateForm(request.POST))
            intervention = actions.estimate(intervention, staff, now=now, request=request,
                                            **form.cleaned_data)  # fmt: skip
            if intervention.quote:
                done["estimate"] = _("Above the threshold: the quote has been sent to the "
                                     "client for approval.")  # fmt: skip
        elif action == "log":
            form = _valid(TimeEntryForm(request.POST))
            actions.log_time(intervention, staff, now=now, **form.cleaned_data)
        elif action == "delete":
            entry = get_object_or_404(TimeEntry, intervention=intervention,
                                      pk=to_id(request.POST.get("entry")))  # fmt: skip
            actions.delete_entry(entry, staff, now)
        else:
            form = _valid(NotPossibleForm(request.POST))
            actions.close_not_possible(intervention, staff, form.cleaned_data["reason"], now,
                                       request=request)  # fmt: skip
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, done[action])
    return redirect(f"{ticket_url(ticket)}#extra")


def ticket_url(ticket) -> str:
    from django.urls import reverse

    return reverse("desk:ticket", args=[ticket.code])


def _valid(form):
    """The form's data, or its first error as the message staff see."""
    if form.is_valid():
        return form
    errors = [f"{form.fields[name].label if name in form.fields else ''}: {error}".lstrip(": ")
              for name, messages_ in form.errors.items() for error in messages_]  # fmt: skip
    raise ValidationError(errors[0])
