"""Scheduled work of the reports."""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sportello.automation.labels import COUNT_LABELS
from sportello.automation.registry import Counts, job

from .figures import compute_closed_months

COUNT_LABELS.update({"months": _("months")})


@job("report_figures", label=_("Report figures of the closed months"))
def report_figures(now: datetime, dry_run: bool = False) -> Counts:
    """The revenue and VAT figures of the last twelve closed months, computed ahead: at a
    million invoices summing a year takes seconds, which no one should wait for on a page."""
    if dry_run:
        return {"months": 12}
    return {"months": compute_closed_months(timezone.localdate(now))}
