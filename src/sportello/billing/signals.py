from django.dispatch import Signal

# Sent with `invoice` and `day` when an invoice is fully paid (renewals reactivate on it).
invoice_paid = Signal()

# Sent with `invoices` (saved, some of them numbered) in the transaction that gave them
# their fiscal numbers: electronic invoicing freezes its documents on it.
invoices_numbered = Signal()
