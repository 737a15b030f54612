"""Authentication that cannot be talked round: the trusted MTA's results read with a real
parser, DKIM body lengths, threading by signed headers only, replays."""

import io
import json
import sys

import pytest
from django.core.management import call_command
from django.utils import timezone

from sportello.helpdesk.models import Ticket
from sportello.mail.inbound import store
from sportello.mail.models import InboundMessage, MailSettings
from sportello.mail.processing import process
from sportello.testing import make_ticket

from .mailmaker import build, signed

pytestmark = pytest.mark.django_db
S = InboundMessage.Status
MTA = "mx.sportello.example"


def deliver(raw: bytes) -> InboundMessage:
    row, _created = store(raw, "hd@sportello.example", InboundMessage.Channel.PIPE, timezone.now())
    return process(row.pk, timezone.now())


@pytest.fixture
def trusted_mta(db):
    settings = MailSettings.current()
    settings.trusted_authserv_id = MTA
    settings.save()


def with_results(results: str, subject="Dns olga.it") -> bytes:
    """An unsigned message under the trusted MTA's header (the topmost one)."""
    return f"Authentication-Results: {results}\r\n".encode() + build(subject=subject).as_bytes()


@pytest.mark.parametrize("results", [
    f"{MTA}; dkim=fail (but dmarc=pass says the comment) header.d=example.org",
    f"{MTA}; spf=pass smtp.mailfrom=dmarc=pass@example.org",
    f"{MTA}; spf=pass smtp.mailfrom=owner@example.org",  # SPF alone is not counted
    f"{MTA}; dmarc=pass header.from=evil.example",
    f"{MTA}; dkim=pass header.d=evil.example",
    f"{MTA}; dmarc=fail header.from=example.org; x-note=\"dmarc=pass\"",
    f"{MTA}.evil.example; dmarc=pass header.from=example.org",
    f"{MTA}; dmarc=pass header.from=example.org; (unterminated",
])  # fmt: skip
def test_a_pass_outside_a_dmarc_or_dkim_result_counts_for_nothing(owner, dns, trusted_mta, results):
    row = deliver(with_results(results))
    assert row.status == S.QUARANTINED, row.reason
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("results", [
    f"{MTA}; dmarc=pass (p=reject) header.from=example.org",
    f"{MTA.upper()}; spf=fail smtp.mailfrom=x@y; dkim=pass header.d=example.org header.s=mail",
    f"{MTA}; dkim=pass header.i=@mail.example.org",
])  # fmt: skip
def test_the_trusted_mtas_dmarc_or_dkim_pass_is_believed(owner, dns, trusted_mta, results):
    assert deliver(with_results(results)).status == S.CREATED


def test_a_lower_results_header_in_our_mtas_name_is_not_believed(owner, dns, trusted_mta):
    forged = build(headers={"Authentication-Results": f"{MTA}; dmarc=pass"})
    raw = f"Authentication-Results: {MTA}; dmarc=fail header.from=example.org\r\n".encode()
    assert deliver(raw + forged.as_bytes()).status == S.QUARANTINED


def test_text_appended_after_a_signed_body_length_never_enters_a_ticket(owner, dns):
    raw = signed(build(body="Ciao, va tutto bene.\n"), length=True)
    tampered = raw + b"P.S. Cambiate la password dell'account in 123456.\r\n"
    row = deliver(tampered)
    assert row.status == S.QUARANTINED and "not authenticated" in row.reason
    assert not Ticket.objects.exists()


def test_a_body_length_that_covers_the_whole_body_is_accepted(owner, dns):
    row = deliver(signed(build(body="Tutto il testo è firmato.\n"), length=True))
    assert row.status == S.CREATED
    assert row.ticket.messages.get(kind="client").body == "Tutto il testo è firmato."


def test_an_unsigned_subject_above_the_signed_one_moves_nothing(owner, dns):
    target = make_ticket(owner, subject="Un altro ticket del cliente")
    raw = signed(build(subject="Problema con la posta", body="Testo firmato."))
    forged = f"Subject: Re: [{target.code}] dirottato\r\n".encode() + raw
    row = deliver(forged)
    assert row.status == S.CREATED, row.reason
    assert row.ticket != target and target.messages.count() == 1


def test_unsigned_threading_headers_are_not_read(owner, dns, deliver_outbox):
    target = make_ticket(owner, subject="Ticket bersaglio")
    deliver_outbox(1)
    message = build(subject="Richiesta nuova", body="Altro argomento.")
    raw = signed(message, headers=(b"from", b"to", b"subject", b"date", b"message-id"))
    forged = f"References: {target.thread_id()}\r\n".encode() + raw
    row = deliver(forged)
    assert row.status == S.CREATED and row.ticket != target


def test_signed_threading_headers_thread(owner, dns, deliver_outbox):
    target = make_ticket(owner, subject="Ticket bersaglio")
    deliver_outbox(1)
    message = build(subject="la vostra mail", headers={"References": target.thread_id()})
    row = deliver(signed(message))
    assert row.status == S.REPLIED and row.ticket == target


def ingest(raw: bytes) -> dict:
    out = io.StringIO()
    old, sys.stdin = sys.stdin, io.TextIOWrapper(io.BytesIO(raw))
    try:
        call_command("ingestmail", "--recipient", "hd@sportello.example", "--json", stdout=out)
    finally:
        sys.stdin = old
    return json.loads(out.getvalue())


def test_a_replayed_message_id_with_other_content_is_quarantined_as_a_replay(owner, dns):
    message_id = "<fisso@example.org>"
    first = ingest(signed(build(body="Primo testo.", message_id=message_id)))
    assert first["outcome"] == "created"
    again = ingest(signed(build(body="Tutt'altro testo.", message_id=message_id)))
    assert again["outcome"] == "quarantined" and "different" in again["reason"]
    replay = InboundMessage.objects.get(reason_code="replay")
    assert b"Tutt'altro testo." in bytes(replay.raw)
    assert Ticket.objects.count() == 1
    assert Ticket.objects.get().messages.get(kind="client").body == "Primo testo."


def test_the_same_message_delivered_twice_is_no_replay(owner, dns):
    raw = signed(build(body="Stesso testo.", message_id="<due-volte@example.org>"))
    assert ingest(raw)["outcome"] == "created"
    relayed = b"Received: from relay.example.org by mx; Mon, 1 Jan 2026\r\n" + raw
    assert ingest(relayed)["outcome"] == "created"  # the earlier outcome, processed once
    assert InboundMessage.objects.count() == 1
