from django.dispatch import Signal

# Sent with `invoice` and `day` when an invoice is fully paid (renewals reactivate on it).
invoice_paid = Signal()
