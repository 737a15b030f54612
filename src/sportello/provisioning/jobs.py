"""Daily: each domain's expiry read from its registry, the local date corrected where they
differ, and the difference flagged on the domain's account for staff to look at."""

import logging
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from sportello.automation.registry import Counts, job
from sportello.catalog.models import ProductType
from sportello.services.models import Service

from . import actions
from .models import Account
from .modules.base import ModuleError

log = logging.getLogger(__name__)


@job("domain_expiry_sync", label=_("Domain expiry dates read from the registry"))
def domain_expiry_sync(now: datetime, dry_run: bool = False) -> Counts:
    domains = Service.objects.filter(
        product__type=ProductType.DOMAIN,
        status__in=Service.LIVE_STATUSES,
        pk__in=Account.objects.exclude(state=Account.State.REMOVED).values("service"),
    ).select_related("client__owner", "product")
    checked = corrected = failed = 0
    for service in domains:
        checked += 1
        if dry_run:
            continue
        try:
            changed = actions.sync_expiry(service)
        except ModuleError as error:
            log.warning("expiry of %s not read: %s", service.name, error)
            failed += 1
            continue
        if changed:
            corrected += 1
            Account.objects.filter(service=service).update(
                expiry_corrected_from=changed[0], expiry_corrected_at=now
            )
    return {"domains": checked, "corrected": corrected, "failed": failed}
