"""Service events for apps above services (webhooks), sent inside the transaction that
changed the status."""

from django.dispatch import Signal

# service_ids, status, day — services whose status just changed to `status`
status_changed = Signal()
# services, days_before — expiry notices just claimed (once per service, expiry date and
# offset, however often the job runs); days_before is negative for notices after expiry
expiry_noticed = Signal()
