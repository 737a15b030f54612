"""Follow the help desk's extra-contract tickets: an intervention for every one opened (and
for backup or restore requests outside the plans that include them), taken in charge when
assigned to a qualified technician, billed when closed."""

from django.dispatch import receiver

from sportello.helpdesk.models import Category, Ticket
from sportello.helpdesk.signals import ticket_assigned, ticket_opened, ticket_status_changed

from . import actions
from .models import Intervention


def _is_extra(ticket) -> bool:
    return ticket.category.kind == Category.Kind.EXTRA


@receiver(ticket_opened)
def start(sender, ticket, now, **kwargs):
    if _is_extra(ticket):
        actions.start_intervention(ticket, now)
    elif ticket.category.kind == Category.Kind.BACKUP_RESTORE:
        actions.backup_restore_opened(ticket, now)


@receiver(ticket_assigned)
def taken(sender, ticket, assignee, staff, now, **kwargs):
    intervention = Intervention.objects.filter(ticket=ticket).first()
    if intervention is not None and assignee is not None:
        actions.mark_taken(intervention, assignee, staff, now)


@receiver(ticket_status_changed)
def status_changed(sender, ticket, status, author, now, **kwargs):
    intervention = Intervention.objects.filter(ticket=ticket).first()
    if intervention is None:
        return
    if status == Ticket.Status.CLOSED:
        actions.bill(intervention, author, now)
    elif status in (Ticket.Status.OPEN, Ticket.Status.NEW) and intervention.outcome:
        actions.reopened(intervention)
