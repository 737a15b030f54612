"""Disk usage of hosting services from a CSV file: `service,used_mb` (SRV-9)."""

import csv
import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sportello.catalog.models import ProductType
from sportello.core.params import to_id

from .models import Service

# The largest value the disk-usage column holds on every database (a 32-bit integer).
MAX_USED_MB = 2**31 - 1


def parse_usage(text: str) -> dict[int, int]:
    """Service id → MB used. The service is named by its id or by its hosting domain."""
    reader = csv.reader(io.StringIO(text))
    if [cell.strip().lower() for cell in next(reader, [])] != ["service", "used_mb"]:
        raise ValidationError(_("line 1: the header must be service,used_mb"))
    hosting = Service.objects.filter(product__type=ProductType.HOSTING).exclude(
        status=Service.Status.TERMINATED
    )
    by_name = dict(hosting.values_list("name", "pk"))
    ids = set(by_name.values())
    usage = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise ValidationError(_("line %(n)s: expected 2 columns") % {"n": number})
        name, used = (cell.strip() for cell in row)
        pk = to_id(name) if to_id(name) in ids else by_name.get(name)
        if pk is None:
            raise ValidationError(
                _("line %(n)s: no hosting service '%(name)s'") % {"n": number, "name": name}
            )
        # ASCII digits only ("²" passes isdigit() and fails int()), within the column.
        if not (used.isascii() and used.isdigit()) or int(used) > MAX_USED_MB:
            raise ValidationError(
                _("line %(n)s: '%(value)s' is not a number of MB") % {"n": number, "value": used}
            )
        usage[pk] = int(used)
    return usage


def import_usage(text: str) -> int:
    """All rows or none: the file is checked whole before anything is written."""
    usage = parse_usage(text)
    with transaction.atomic():
        for pk, used in usage.items():
            Service.objects.filter(pk=pk).update(disk_used_mb=used)
    return len(usage)
