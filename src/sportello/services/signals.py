"""Service events for apps above services (webhooks), sent inside the transaction that
changed the status."""

from django.dispatch import Signal

# service_ids, status, day — services whose status just changed to `status`
status_changed = Signal()
