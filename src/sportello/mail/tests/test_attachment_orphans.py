"""A message whose processing fails after its attachments were written leaves files no row
names; the daily job removes them once no transaction could still be writing them."""

import os
from datetime import timedelta

import pytest
from django.core.files.storage import FileSystemStorage
from django.utils import timezone

from sportello.helpdesk import actions as helpdesk
from sportello.helpdesk.jobs import remove_orphaned_attachments
from sportello.helpdesk.models import Attachment
from sportello.mail.inbound import store
from sportello.mail.models import InboundMessage
from sportello.mail.processing import process

from .mailmaker import build, signed

pytestmark = pytest.mark.django_db
S = InboundMessage.Status


def deliver(raw: bytes) -> InboundMessage:
    row, _created = store(raw, "hd@sportello.example", InboundMessage.Channel.PIPE, timezone.now())
    return process(row.pk, timezone.now())


def files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_files_of_a_rolled_back_message_are_removed_and_kept_ones_stay(
    owner, dns, tmp_path, monkeypatch
):
    root = tmp_path / "attachments"
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", FileSystemStorage(root))
    kept = deliver(signed(build(attachments=[("log.txt", b"errore 500", "text/plain")])))
    assert kept.status == S.CREATED

    def database_gone(*args, **kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(helpdesk, "queue_to_staff", database_gone)
    failed = deliver(
        signed(build(subject="Altro", attachments=[("trace.txt", b"Traceback", "text/plain")]))
    )
    assert failed.status == S.QUARANTINED and "processing error" in failed.reason
    assert len(files(root)) == 2 and Attachment.objects.count() == 1

    # Fresh files are left alone, whatever day the job runs for: their transaction may
    # still be running.
    now = timezone.now()
    assert remove_orphaned_attachments(now) == {"deleted": 0}
    assert remove_orphaned_attachments(now + timedelta(days=2)) == {"deleted": 0}
    two_days_ago = (now - timedelta(days=2)).timestamp()
    for path in root.rglob("*"):
        os.utime(path, (two_days_ago, two_days_ago))
    assert remove_orphaned_attachments(now, dry_run=True) == {"deleted": 1}
    assert len(files(root)) == 2
    assert remove_orphaned_attachments(now) == {"deleted": 1}
    assert files(root) == [Attachment.objects.get().file.name]
    assert remove_orphaned_attachments(now) == {"deleted": 0}


def test_no_attachments_folder_yet(tmp_path, monkeypatch):
    storage = FileSystemStorage(tmp_path / "attachments")
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", storage)
    assert remove_orphaned_attachments(timezone.now()) == {"deleted": 0}
    assert not os.path.exists(tmp_path / "attachments")
