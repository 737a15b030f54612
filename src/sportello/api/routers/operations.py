from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.decorators import decorate_view

from sportello.automation.registry import run_day, run_time
from sportello.services.usage import MAX_USED_MB, import_usage

from .. import scopes
from ..http import need, staff_only, write
from .common import responses

router = Router(tags=["operations"])


class UsageRow(Schema):
    service: str = Field(min_length=1, max_length=253,
                         description="The hosting service's id or domain.")  # fmt: skip
    used_mb: int = Field(ge=0, le=MAX_USED_MB)


class UsageIn(Schema):
    rows: list[UsageRow] = Field(min_length=1, max_length=100_000)


class UsageOut(Schema):
    imported: int


@router.post("/usage", response=responses(UsageOut),
             openapi_extra={"x-scope": scopes.USAGE_WRITE})  # fmt: skip
@decorate_view(write())
def usage(request: HttpRequest, data: UsageIn) -> Any:
    """Disk usage per hosting service: the JSON twin of `sportello importusage` (all rows or
    none; the daily run suspends hosting over quota)."""
    token = need(request, scopes.USAGE_WRITE)
    staff_only(token)
    for row in data.rows:
        if any(character in row.service for character in ',"\r\n'):
            raise ValidationError(
                {"rows": _("'%(name)s' is not a service.") % {"name": row.service}}
            )
    text = "service,used_mb\n" + "".join(f"{row.service},{row.used_mb}\n" for row in data.rows)
    return {"imported": import_usage(text)}


class JobOut(Schema):
    name: str
    counts: dict[str, int]
    errors: list[str]


class DryRunOut(Schema):
    day: date
    jobs: list[JobOut]


@router.get("/jobs/dry-run", response=responses(DryRunOut),
            openapi_extra={"x-scope": scopes.JOBS_READ})  # fmt: skip
def dry_run(request: HttpRequest, day: date) -> Any:
    """What the daily run would do on `day`, changing nothing."""
    token = need(request, scopes.JOBS_READ)
    staff_only(token)
    results = run_day(run_time(day), dry_run=True, record=False)
    return {"day": day, "jobs": [{"name": name, "counts": result["counts"],
                                  "errors": result["errors"]}
                                 for name, result in results.items()]}  # fmt: skip
