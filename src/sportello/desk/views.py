from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, render

from sportello.accounts.models import Client
from sportello.core import audit
from sportello.core.access import staff_required
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
        },
    )
