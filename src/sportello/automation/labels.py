"""Names of the jobs and of what they count, as staff read them."""

from collections.abc import Mapping

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

JOB_LABELS: dict[str, str | Promise] = {
    "renewal_invoices": _("Renewal invoices"),
    "expiry_notices": _("Expiry notices"),
    "suspensions": _("Suspensions and expiries"),
    "cancellations": _("Cancellations"),
    "terminations": _("Terminations"),
    "disk_quota": _("Disk quota"),
    "quote_balances": _("Quote balances after 180 days"),
    "mail_history_purge": _("Mail-history purge"),
    "ticket_auto_close": _("Tickets closed without the client's answer"),
    "news_mailing": _("News mailed to clients"),
    "extra_take_in_charge": _("Extra-contract requests late to be taken in charge"),
}

COUNT_LABELS: dict[str, str | Promise] = {
    "invoices": _("invoices"),
    "services": _("services"),
    "notices": _("notices"),
    "suspended": _("suspended"),
    "on_hold": _("on hold"),
    "expired": _("expired"),
    "cancelled": _("cancelled"),
    "balance_invoices": _("balance invoices"),
    "deleted": _("deleted"),
    "terminated": _("terminated"),
    "over_quota": _("over quota"),
    "back_under_quota": _("back under quota"),
    "closed": _("closed"),
    "news": _("news"),
    "emails": _("emails"),
    "alerts": _("alerts"),
}


def describe(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{COUNT_LABELS.get(key, key)}: {value}" for key, value in counts.items())
