"""Daily and hourly help-desk work registered with the scheduled jobs."""

import os
from datetime import datetime, timedelta
from pathlib import Path

from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sportello.automation.registry import Counts, job

from .actions import _change_status, notify_client
from .models import Attachment, HelpdeskSettings, Ticket

# A file this much older than any row that could name it belongs to a transaction that
# rolled back or a process that died between writing the file and committing the row.
ORPHAN_AGE = timedelta(days=1)


@job("ticket_auto_close")
def auto_close(now: datetime, dry_run: bool = False) -> Counts:
    """Tickets waiting for the client close after the configured hours without an answer
    (HD-13), with a notice. The status check in the update is the claim: a ticket the
    client answered meanwhile, or that another run closed, is left alone."""
    limit = now - timedelta(hours=HelpdeskSettings.current().auto_close_hours)
    due = Ticket.objects.filter(status=Ticket.Status.WAITING, waiting_since__lte=limit)
    if dry_run:
        return {"closed": due.count()}
    closed = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update()
                .filter(pk=pk, status=Ticket.Status.WAITING, waiting_since__lte=limit)
                .first()
            )
            if ticket is None:
                continue
            _change_status(ticket, None, Ticket.Status.CLOSED, now, quiet=True)
            ticket.save()
            notify_client(ticket, "ticket_status", {"change": "auto_closed"})
            closed += 1
    return {"closed": closed}


@job("attachment_orphans", label=_("Attachment files no ticket refers to"))
def remove_orphaned_attachments(now: datetime, dry_run: bool = False) -> Counts:
    """Files in the attachments folder that no attachment row names, older than a day:
    written by a message whose transaction rolled back (a database error, a killed worker).
    One ticket's folder at a time, so memory stays bounded at any number of files."""
    storage = Attachment._meta.get_field("file").storage
    assert isinstance(storage, FileSystemStorage)
    root = Path(storage.location)
    if not root.is_dir():
        return {"deleted": 0}
    # Files are written on the real clock: a run for a later day (a simulation, a catch-up)
    # must not take files written a moment ago for old ones.
    cutoff = (min(now, timezone.now()) - ORPHAN_AGE).timestamp()
    deleted = 0
    for folder in os.scandir(root):
        if not folder.is_dir(follow_symlinks=False):
            continue
        old = {
            f"{folder.name}/{entry.name}": entry.path
            for entry in os.scandir(folder.path)
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff
        }
        if not old:
            continue
        known = set(Attachment.objects.filter(file__in=list(old)).values_list("file", flat=True))
        for name, path in old.items():
            if name in known:
                continue
            deleted += 1
            if not dry_run:
                Path(path).unlink(missing_ok=True)
    return {"deleted": deleted}
