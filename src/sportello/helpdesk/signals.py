"""Ticket events the help desk sends, so apps above it (extra-contract work) can follow its
tickets without the help desk knowing about them. Receivers run inside the help desk's
transaction."""

from django.dispatch import Signal

# ticket, now
ticket_opened = Signal()
# ticket, status, author, now — sent when a status change is recorded
ticket_status_changed = Signal()
# ticket, assignee, staff, now
ticket_assigned = Signal()
