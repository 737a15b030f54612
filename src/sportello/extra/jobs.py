"""Scheduled extra-contract work."""

from datetime import datetime

from sportello.automation.registry import Counts, job
from sportello.helpdesk.models import Ticket

from .actions import alert_late
from .models import Intervention


@job("extra_take_in_charge")
def alert_late_requests(now: datetime, dry_run: bool = False) -> Counts:
    """Requests not taken in charge by their due time alert the qualified technicians (or
    the department) once (EXT-1). The claim is a conditional update, so two runs never send
    the alert twice."""
    late = Intervention.objects.filter(
        taken_in_charge_at__isnull=True,
        late_alert_sent_at__isnull=True,
        take_in_charge_due__lte=now,
        outcome="",
        ticket__status__in=Ticket.OPEN_STATUSES,
    ).values_list("pk", flat=True)
    if dry_run:
        return {"alerts": late.count()}
    return {"alerts": sum(alert_late(pk, now) for pk in list(late))}
