"""Whatever arrives ends stored and processed or quarantined: never a traceback, never lost."""

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sportello.mail.inbound import store
from sportello.mail.models import InboundMessage
from sportello.mail.processing import process

FINAL = {"created", "replied", "refused", "quarantined", "bounce"}

HANDMADE = {
    "no headers at all": b"just some text\r\n",
    "missing From": b"To: hd@sportello.example\r\nSubject: ciao\r\n\r\ntesto\r\n",
    "two From": b"From: a@example.org\r\nFrom: b@example.org\r\nSubject: x\r\n\r\ny\r\n",
    "From without domain": b"From: mario\r\nSubject: x\r\n\r\ny\r\n",
    "broken MIME boundary": (
        b"From: owner@example.org\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n"
        b"--zz\r\nContent-Type: text/plain\r\n\r\nprima parte\r\n--z"
    ),
    "unknown charset": (
        b"From: owner@example.org\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n\xff\xfe"
    ),
    "wrong base64": (
        b"From: owner@example.org\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!"
    ),
    "8-bit garbage headers": b"From: \xff\xfe\xfd@\xfa.it\r\nSubject: \xc3\x28\r\n\r\n\x80\x81",
    "huge header": b"From: owner@example.org\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\nbody",
    "deeply nested multiparts": (
        b"From: owner@example.org\r\n"
        + b"".join(
            f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode()
            for i in range(60)
        )
        + b"Content-Type: text/plain\r\n\r\nfondo\r\n"
    ),
    "encoded word mess": (
        b"From: =?utf-8?b?!!!?= <owner@example.org>\r\nSubject: =?x?q?=ZZ?=\r\n\r\n."
    ),
}


def run(raw: bytes) -> InboundMessage:
    row, created = store(raw, "hd@sportello.example", "pipe", timezone.now())
    row = process(row.pk, timezone.now())
    if created:  # otherwise an earlier message had the same Message-ID
        assert bytes(row.raw) == raw  # kept as it came
    return row


@pytest.mark.django_db
@pytest.mark.parametrize("name", HANDMADE)
def test_handmade_malformed_messages(name, owner, dns):
    row = run(HANDMADE[name])
    assert row.status in FINAL, (name, row.status, row.reason)


header_names = st.sampled_from(
    ["From", "To", "Subject", "Content-Type", "Content-Transfer-Encoding", "MIME-Version",
     "Message-ID", "In-Reply-To", "References", "Auto-Submitted", "X-Junk"]
)  # fmt: skip
header_values = st.binary(max_size=120).filter(lambda v: b"\n" not in v and b"\r" not in v)
messages = st.builds(
    lambda headers, body: (
        b"".join(n.encode() + b": " + v + b"\r\n" for n, v in headers) + b"\r\n" + body
    ),
    st.lists(st.tuples(header_names, header_values), max_size=8),
    st.binary(max_size=600),
)


@pytest.mark.django_db
@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(raw=st.one_of(messages, st.binary(max_size=400)))
def test_any_bytes_end_processed_or_quarantined(raw, dns):
    row = run(raw)
    assert row.status in FINAL
