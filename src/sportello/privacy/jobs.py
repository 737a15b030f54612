from datetime import datetime

from django.utils.translation import gettext_lazy as _

from sportello.automation.registry import Counts, job

from . import actions, archive


@job("legal_holds", _("Legal holds ending, expired data exports"))
def legal_holds(now: datetime, dry_run: bool = False) -> Counts:
    """Records an erasure kept for the law are anonymised on their release date; data
    archives whose link expired are deleted."""
    return {
        "released": actions.release_holds(now, dry_run),
        "exports_expired": archive.expire_exports(now, dry_run),
    }
