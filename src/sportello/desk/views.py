from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from sportello.accounts import actions as account_actions
from sportello.accounts.forms import ProfileForm
from sportello.accounts.models import Client, User
from sportello.core import audit
from sportello.core.models import AuditEvent
from sportello.core.params import to_page, to_search
from sportello.services.models import Service

from .decorators import staff_required
from .forms import CancellationForm

PAGE = 50


def search_clients(query: str):
    # A correlated count is computed only for the page of rows returned, where a join
    # with GROUP BY would count the services of every client first.
    service_count = (
        Service.objects.filter(client=OuterRef("pk"))
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    clients = Client.objects.select_related("owner", "tier").annotate(
        service_count=Coalesce(Subquery(service_count), 0)
    )
    if query:
        clients = clients.filter(
            Q(name__icontains=query)
            | Q(company_name__icontains=query)
            | Q(owner__email__icontains=query)
            | Q(vat_number__icontains=query)
            | Q(fiscal_code__icontains=query)
            | Q(services__name__icontains=query)
        ).distinct()
    return clients.order_by("name", "id")


def page_number(request) -> int:
    return to_page(request.GET.get("page"))


@staff_required()
def client_list(request):
    query = to_search(request.GET.get("q"))
    page = page_number(request)
    clients = list(search_clients(query)[(page - 1) * PAGE : page * PAGE + 1])
    return render(
        request,
        "desk/client_list.html",
        {
            "clients": clients[:PAGE],
            "query": query,
            "page": page,
            "has_next": len(clients) > PAGE,
        },
    )


@staff_required()
def client_detail(request, pk):
    client = get_object_or_404(Client.objects.select_related("owner", "tier"), pk=pk)
    audit.record(AuditEvent.Action.STAFF_VIEWED_CLIENT, request=request, client=client)
    from .billing_views import BILLING_EVENTS, billing_summary, can_bill  # imports this module

    events = client.audit_events.select_related("actor")
    if not can_bill(request.user):
        # Their details carry amounts: the history of the billing card hidden from them.
        events = events.exclude(action__in=BILLING_EVENTS)
    return render(
        request,
        "desk/client_detail.html",
        {
            "client": client,
            "services": client.services.for_listing(),
            "emails": client.emails.for_listing()[:20],
            "events": events[:30],
            "current_hosted": account_actions.hosted_domain_of(client, client.contact_email),
            "billing": billing_summary(client) if can_bill(request.user) else None,
        },
    )


@staff_required(User.Role.ADMIN, User.Role.BILLING, User.Role.AGENT)
def client_edit(request, pk):
    client = get_object_or_404(Client.objects.select_related("owner"), pk=pk)
    form = ProfileForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        account_actions.update_profile(request, client, form, by_staff=True)
        messages.success(request, _("The client's profile has been saved."))
        return redirect("desk:client", pk=client.pk)
    return render(request, "desk/client_edit.html", {"form": form, "client": client})


@staff_required(User.Role.ADMIN)
def audit_log(request):
    action = request.GET.get("action", "")
    events = AuditEvent.objects.select_related("actor", "client")
    if action in AuditEvent.Action.values:
        events = events.filter(action=action)
    return render(
        request,
        "desk/audit_log.html",
        {"events": events[:200], "actions": AuditEvent.Action.choices, "action": action},
    )


@staff_required(User.Role.ADMIN)
def job_runs(request):
    """What the scheduled jobs did, and what they would do tomorrow (a dry run, unrecorded)."""
    from datetime import timedelta

    from sportello.automation import registry
    from sportello.automation.models import JobRun

    tomorrow = timezone.localdate() + timedelta(days=1)
    preview = registry.run_day(registry.run_time(tomorrow), dry_run=True, record=False)
    return render(
        request,
        "desk/job_runs.html",
        {"runs": JobRun.objects.all()[:100], "tomorrow": tomorrow, "preview": preview},
    )


@staff_required()
def record_cancellation(request, pk):
    """A cancellation that arrived by registered letter (SRV-4), dated the day it arrived."""
    from sportello.services import actions as service_actions
    from sportello.services.models import Service

    service = get_object_or_404(Service.objects.select_related("client", "product"), pk=pk)
    form = CancellationForm(request.POST or None, initial={"received_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            service_actions.request_cancellation(
                service, form.cleaned_data["received_on"], channel="registered_letter",
                request=request,
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The cancellation has been recorded."))
            return redirect("desk:client", pk=service.client_id)
    received = form.cleaned_data.get("received_on") if form.is_bound and form.is_valid() else None
    effective_on, owed = service_actions.cancellation_terms(
        service, received or timezone.localdate()
    )
    return render(
        request,
        "desk/record_cancellation.html",
        {"service": service, "form": form, "effective_on": effective_on, "owed": owed},
    )
