"""The three ways in: the SMTP gateway over real SMTP, and the MTA pipe command."""

import io
import smtplib
import socket
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import OperationalError

from sportello.helpdesk.models import Department, Ticket
from sportello.mail import gateway
from sportello.mail.gateway import controller
from sportello.mail.models import InboundMessage, MailSettings
from sportello.testing import database_env

from .mailmaker import build, signed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtpd(transactional_db):
    server = controller("127.0.0.1", free_port())
    server.start()
    yield server
    server.stop()


def smtp(server) -> smtplib.SMTP:
    return smtplib.SMTP(server.hostname, server.port, timeout=10)


def test_gateway_stores_processes_and_answers_250(smtpd, owner, dns):
    raw = signed(build(subject="Posta ferma su olga.it"))
    with smtp(smtpd) as client:
        refused = client.sendmail("owner@example.org", ["hd@sportello.example"], raw)
    assert refused == {}
    row = InboundMessage.objects.get()
    assert row.channel == "smtp" and bytes(row.raw) == raw
    assert row.status == InboundMessage.Status.CREATED
    assert Ticket.objects.get().subject == "Posta ferma su olga.it"


def test_unknown_recipient_is_refused_at_rcpt(smtpd, owner, dns):
    with smtp(smtpd) as client:
        client.ehlo()
        client.mail("owner@example.org")
        code, _ = client.rcpt("nobody@sportello.example")
    assert code == 550
    assert not InboundMessage.objects.exists()


def test_a_new_department_address_is_accepted_at_once_a_removed_one_quarantined(smtpd, owner, dns):
    with smtp(smtpd) as client:  # the gateway now keeps hd@ as known
        assert client.sendmail("owner@example.org", ["hd@sportello.example"],
                               signed(build())) == {}  # fmt: skip
    helpdesk = Department.objects.get(email="hd@sportello.example")
    helpdesk.email = "assistenza@sportello.example"
    helpdesk.save()
    with smtp(smtpd) as client:
        client.sendmail("owner@example.org", ["assistenza@sportello.example"], signed(build()))
        # Accepted while the gateway still keeps it, then never lost: quarantined for staff.
        client.sendmail("owner@example.org", ["hd@sportello.example"], signed(build()))
    statuses = list(InboundMessage.objects.order_by("pk").values_list("recipient", "status"))
    assert statuses[1:] == [
        ("assistenza@sportello.example", InboundMessage.Status.CREATED),
        ("hd@sportello.example", InboundMessage.Status.QUARANTINED),
    ]


def test_oversize_message_is_refused_at_data(transactional_db, owner, dns):
    settings = MailSettings.current()
    settings.message_max_kb = 10
    settings.save()
    server = controller("127.0.0.1", free_port())
    server.start()
    try:
        raw = signed(build(body="x" * 20_000))
        with smtp(server) as client, pytest.raises(smtplib.SMTPException) as refused:
            client.sendmail("owner@example.org", ["hd@sportello.example"], raw)
        assert "552" in str(refused.value) or getattr(refused.value, "smtp_code", 0) == 552
    finally:
        server.stop()
    assert not InboundMessage.objects.exists()


def test_database_failure_answers_451_so_the_sender_retries(smtpd, owner, dns, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(gateway, "store", broken)
    with smtp(smtpd) as client, pytest.raises(smtplib.SMTPDataError) as refused:
        client.sendmail("owner@example.org", ["hd@sportello.example"], signed(build()))
    assert refused.value.smtp_code == 451


def ingest(raw: bytes, *args) -> str:
    out = io.StringIO()
    stdin = io.TextIOWrapper(io.BytesIO(raw))
    old, sys.stdin = sys.stdin, stdin
    try:
        call_command("ingestmail", "--recipient", "hd@sportello.example", *args, stdout=out)
    finally:
        sys.stdin = old
    return out.getvalue()


@pytest.mark.django_db
def test_pipe_creates_then_replies_and_says_so_in_json(owner, dns):
    import json

    created = json.loads(ingest(signed(build(subject="Certificato SSL scaduto")), "--json"))
    assert created["outcome"] == "created"
    code = created["ticket"]
    reply = json.loads(ingest(signed(build(subject=f"Re: [{code}] ok")), "--json"))
    assert reply == {"outcome": "replied", "ticket": code, "reason": ""}
    stranger = json.loads(ingest(signed(build("x@example.org", subject="ciao")), "--json"))
    assert stranger["outcome"] == "refused" and stranger["ticket"] is None


@pytest.mark.django_db(transaction=True)
def test_pipe_exit_codes(owner):
    env = {**__import__("os").environ, **database_env()}
    command = [sys.executable, "-m", "sportello.cli", "ingestmail", "--recipient"]
    garbage = subprocess.run([*command, "hd@sportello.example"], input=b"\x00\x01 not mail",
                             capture_output=True, env=env)  # fmt: skip
    assert garbage.returncode == 65 and b"not an email" in garbage.stderr
    stored = subprocess.run([*command, "hd@sportello.example"], input=build().as_bytes(),
                            capture_output=True, env=env)  # fmt: skip
    assert stored.returncode == 0  # unsigned: quarantined, but stored
    assert InboundMessage.objects.get().status == InboundMessage.Status.QUARANTINED
    env["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none"
    env.pop("SQLITE_PATH", None)
    down = subprocess.run([*command, "hd@sportello.example"], input=build().as_bytes(),
                          capture_output=True, env=env)  # fmt: skip
    assert down.returncode == 75
