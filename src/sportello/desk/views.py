from datetime import timedelta

from django.db.models import Case, Count, Exists, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from sportello.accounts.models import Client, Consent
from sportello.core import audit
from sportello.core.access import ADMIN, BILLING, staff_required
from sportello.core.models import AuditEvent
from sportello.core.params import PAGE, page_number, to_search
from sportello.services import actions as service_actions
from sportello.services.models import Service


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
    from sportello.billing.desk_views import (  # imports this module
        BILLING_EVENTS,
        billing_summary,
        can_bill,
    )

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
            "current_hosted": service_actions.hosted_domain_of(client, client.contact_email),
            "billing": billing_summary(client) if can_bill(request.user) else None,
            "consents": Consent.objects.filter(Q(client=client) | Q(user_id=client.owner_id)),
        },
    )


def landing_url(user) -> str:
    """Where a staff member starts: agents their tickets queue, billing clerks the billing
    pages, administrators the overview."""
    if user.is_admin:
        return reverse("desk:overview")
    if user.role == BILLING:
        return reverse("desk:invoices")
    return reverse("desk:tickets")


def root(request):
    """`/`: staff to their starting page, everyone else to the client area (which asks
    visitors to log in)."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect(landing_url(request.user))
    return redirect("portal:home")


@staff_required(ADMIN)
def overview(request):
    """The administrator's morning look: what waits in the help desk, billing and the
    jobs, each figure linked to the page that works it."""
    from sportello.automation.actions import next_run
    from sportello.automation.models import JobRun
    from sportello.billing.models import BankEntry, Invoice, PaymentReport
    from sportello.helpdesk.models import Ticket
    from sportello.mail.models import InboundMessage

    now = timezone.now()
    today = timezone.localdate(now)
    tickets = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).aggregate(
        open=Count("pk"),
        late=Count("pk", filter=Ticket.late_at(now)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True, status=Ticket.Status.NEW)),
    )
    overdue = Invoice.objects.receivable().filter(due_on__lt=today).amounts_due()
    return render(
        request,
        "desk/overview.html",
        {
            "tickets": tickets,
            "overdue": overdue,
            "reports": PaymentReport.objects.filter(status=PaymentReport.Status.PENDING).count(),
            "unmatched": BankEntry.objects.filter(
                status__in=[BankEntry.Status.UNMATCHED, BankEntry.Status.SUGGESTED]
            ).count(),
            "quarantined": InboundMessage.objects.filter(
                status=InboundMessage.Status.QUARANTINED
            ).count(),
            "failed_jobs": JobRun.objects.filter(
                dry_run=False, started_at__gte=now - timedelta(days=1)
            )
            .exclude(errors=[])
            .count(),
            "next_run": next_run(now),
        },
    )


SUGGESTIONS = 10


def find_clients(query: str) -> list[dict]:
    """Clients whose name, company, login email, VAT number or a service's name (a domain)
    holds `query`, for the client picker: a few, the closest names first."""
    services = Service.objects.filter(client=OuterRef("pk"), name__icontains=query)
    matches = (
        Client.objects.filter(
            Q(name__icontains=query)
            | Q(company_name__icontains=query)
            | Q(owner__email__icontains=query)
            | Q(vat_number__icontains=query)
            | Exists(services)
        )
        .select_related("owner")
        .annotate(
            domain=Subquery(services.order_by("name").values("name")[:1]),
            starts=Case(
                When(Q(name__istartswith=query) | Q(company_name__istartswith=query), then=0),
                default=1,
            ),
        )
        .order_by("starts", "name", "id")[:SUGGESTIONS]
    )
    return [
        {
            "id": client.pk,
            "name": client.display_name,
            "email": client.owner.email,
            "vat_number": client.vat_number,
            "domain": client.domain or "",
        }
        for client in matches
    ]


@staff_required()
def client_search(request):
    query = to_search(request.GET.get("q"))
    if len(query) < 2:
        return JsonResponse({"clients": []})
    return JsonResponse({"clients": find_clients(query)})
