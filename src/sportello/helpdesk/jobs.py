"""Daily and hourly help-desk work registered with the scheduled jobs."""

from datetime import datetime, timedelta

from django.db import transaction

from sportello.automation.registry import Counts, job

from .actions import _change_status, notify_client
from .models import HelpdeskSettings, Ticket


@job("ticket_auto_close")
def auto_close(now: datetime, dry_run: bool = False) -> Counts:
    """Tickets waiting for the client close after the configured hours without an answer
    (HD-13), with a notice. The status check in the update is the claim: a ticket the
    client answered meanwhile, or that another run closed, is left alone."""
    limit = now - timedelta(hours=HelpdeskSettings.current().auto_close_hours)
    due = Ticket.objects.filter(status=Ticket.Status.WAITING, waiting_since__lte=limit)
    if dry_run:
        return {"closed": due.count()}
    closed = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update()
                .filter(pk=pk, status=Ticket.Status.WAITING, waiting_since__lte=limit)
                .first()
            )
            if ticket is None:
                continue
            _change_status(ticket, None, Ticket.Status.CLOSED, now, quiet=True)
            ticket.save()
            notify_client(ticket, "ticket_status", {"change": "auto_closed"})
            closed += 1
    return {"closed": closed}
