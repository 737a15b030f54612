"""The archive of a client's data on disk: prepared by the worker, downloadable for a few
days, then deleted."""

import os
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from sportello.accounts.models import Client
from sportello.core.models import Provider
from sportello.mail.actions import queue_to_client

from .models import DataRequest

# How long a prepared archive can be downloaded.
EXPORT_DAYS = 7


def exports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "exports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def archive_path(data_request: DataRequest) -> Path:
    return exports_dir() / data_request.archive


def prepare_export(pk: int, now: datetime) -> DataRequest | None:
    """Build the archive of a pending export; a second call does nothing."""
    from .export import build

    with transaction.atomic():
        data_request = (
            DataRequest.objects.select_for_update()
            .filter(pk=pk, kind=DataRequest.Kind.EXPORT, status=DataRequest.Status.PENDING)
            .first()
        )
        if data_request is None:
            return None
        client = Client.objects.select_related("owner", "tier").get(pk=data_request.client_id)
        content = build(client, Provider.current().name, timezone.localdate(now))
        name = f"{client.pk}-{get_random_string(24)}.zip"
        path = exports_dir() / name
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        data_request.archive = name
        data_request.size = len(content)
        data_request.status = DataRequest.Status.READY
        data_request.completed_at = now
        data_request.expires_at = now + timedelta(days=EXPORT_DAYS)
        data_request.save()
        queue_to_client(
            client, "data_export_ready",
            {"data_request": data_request, "days": EXPORT_DAYS},
        )  # fmt: skip
    return data_request


def expire_exports(now: datetime, dry_run: bool = False) -> int:
    """Delete the archives whose link has expired."""
    due = DataRequest.objects.filter(status=DataRequest.Status.READY, expires_at__lte=now)
    if dry_run:
        return due.count()
    count = 0
    for data_request in due:
        archive_path(data_request).unlink(missing_ok=True)
        count += DataRequest.objects.filter(
            pk=data_request.pk, status=DataRequest.Status.READY
        ).update(status=DataRequest.Status.EXPIRED, archive="")
    return count
