from django.shortcuts import render

from sportello.core.access import ADMIN, staff_required
from sportello.core.models import AuditEvent


@staff_required(ADMIN)
def audit_log(request):
    action = request.GET.get("action", "")
    events = AuditEvent.objects.select_related("actor", "client")
    if action in AuditEvent.Action.values:
        events = events.filter(action=action)
    return render(
        request,
        "core/desk/audit_log.html",
        {"events": events[:200], "actions": AuditEvent.Action.choices, "action": action},
    )
