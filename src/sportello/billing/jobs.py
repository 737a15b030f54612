from datetime import datetime, timedelta

from sportello.automation.registry import Counts, job

from .actions import invoice_quote_balance
from .models import BillingSettings, Quote


@job("quote_balances")
def invoice_overdue_balances(now: datetime, dry_run: bool = False) -> Counts:
    """Balance invoices for accepted quotes whose work is still not delivered N days after
    acceptance, because the client's material never came (BIL-2). Safe to run twice: the
    quote row is locked and a quote with a balance invoice is skipped."""
    limit = now - timedelta(days=BillingSettings.current().balance_due_after_days)
    due = (
        Quote.objects.filter(
            status=Quote.Status.ACCEPTED, balance_invoice__isnull=True, accepted_at__lte=limit
        )
        .exclude(extra_intervention__isnull=False)  # billed on the time logged on its ticket
        .values_list("pk", flat=True)
    )
    if dry_run:
        return {"balance_invoices": due.count()}
    issued = 0
    for pk in list(due):
        if invoice_quote_balance(Quote(pk=pk), now, delivered=False):
            issued += 1
    return {"balance_invoices": issued}
