"""IMAP polling against a real IMAP server on loopback, over TLS or STARTTLS: a message is
marked seen only once it is committed, and a server without TLS is never read."""

import imaplib
import os
import socket
import ssl
import subprocess
import sys

import pytest
from django.db import OperationalError

from sportello.helpdesk.models import Ticket
from sportello.mail import imap
from sportello.mail.models import ImapMailbox, InboundMessage
from sportello.testing import database_env

from .imapserver import ImapServer, Mailbox, self_signed
from .mailmaker import build, signed

pytestmark = pytest.mark.django_db(transaction=True)  # the processing runs after the commit
SEEN = "\\Seen"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("imap"))


@pytest.fixture
def trusted(certificate):
    """A client context that trusts the test certificate, and nothing else."""
    return ssl.create_default_context(cafile=certificate[0])


@pytest.fixture
def serve(certificate):
    servers = []

    def start(security="tls", mailbox=None):
        servers.append(ImapServer(security, *certificate, mailbox or Mailbox()))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def account(server, security=None) -> ImapMailbox:
    box = server.mailbox
    return ImapMailbox.objects.create(
        host="127.0.0.1", port=server.port, security=security or server.security,
        username=box.username, password=box.password, recipient="hd@sportello.example",
    )  # fmt: skip


@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_new_messages_are_stored_processed_and_flagged_seen(serve, trusted, owner, dns, security):
    server = serve(security)
    old = server.mailbox.add(signed(build(subject="Letto ieri")), SEEN)
    first = signed(build(subject="Posta ferma"))
    second = signed(build(subject="Certificato scaduto", body="Scade domani.\r\n\r\nOlga"))
    uids = [server.mailbox.add(first), server.mailbox.add(second)]

    assert imap.poll(account(server), ssl_context=trusted) == 2

    rows = list(InboundMessage.objects.order_by("pk"))
    assert [bytes(row.raw) for row in rows] == [first, second]
    assert {row.channel for row in rows} == {"imap"}
    assert {row.status for row in rows} == {InboundMessage.Status.CREATED}
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Certificato scaduto",
        "Posta ferma",
    ]
    assert all(SEEN in server.mailbox.flags(uid) for uid in uids)
    assert old not in server.mailbox.fetched
    if security == "starttls":
        commands = server.mailbox.commands
        assert commands.index("STARTTLS") < commands.index("LOGIN")


def test_a_message_stays_unseen_when_storing_fails_and_comes_next_time(
    serve, trusted, owner, dns, monkeypatch
):
    server = serve()
    uid = server.mailbox.add(signed(build(subject="Backup non riuscito")))
    mailbox = account(server)

    def broken(*args, **kwargs):
        raise OperationalError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(imap, "store", broken)
        with pytest.raises(OperationalError):
            imap.poll(mailbox, ssl_context=trusted)
    assert SEEN not in server.mailbox.flags(uid)
    assert not InboundMessage.objects.exists()

    assert imap.poll(mailbox, ssl_context=trusted) == 1
    assert SEEN in server.mailbox.flags(uid)
    assert InboundMessage.objects.get().ticket.subject == "Backup non riuscito"


def test_a_message_stored_but_not_flagged_is_not_stored_twice(
    serve, trusted, owner, dns, monkeypatch
):
    """The connection drops between the commit and the flag: the next poll fetches the
    message again, and it is recognised."""
    server = serve()
    uid = server.mailbox.add(signed(build(subject="Dominio in scadenza")))
    mailbox = account(server)
    real_store = imap.store

    def store_then_drop(*args, **kwargs):
        real_store(*args, **kwargs)
        raise ConnectionResetError("connection lost")

    with monkeypatch.context() as patch:
        patch.setattr(imap, "store", store_then_drop)
        with pytest.raises(ConnectionResetError):
            imap.poll(mailbox, ssl_context=trusted)
    assert SEEN not in server.mailbox.flags(uid)

    imap.poll(mailbox, ssl_context=trusted)
    assert SEEN in server.mailbox.flags(uid)
    assert server.mailbox.fetched == [uid, uid]
    assert InboundMessage.objects.count() == 1 and Ticket.objects.count() == 1


def test_seen_messages_are_not_fetched_again(serve, trusted, owner, dns):
    server = serve()
    first = server.mailbox.add(signed(build(subject="Uno")))
    mailbox = account(server)
    assert imap.poll(mailbox, ssl_context=trusted) == 1
    assert imap.poll(mailbox, ssl_context=trusted) == 0
    second = server.mailbox.add(signed(build(subject="Due")))
    assert imap.poll(mailbox, ssl_context=trusted) == 1
    assert server.mailbox.fetched == [first, second]
    assert InboundMessage.objects.count() == 2


@pytest.mark.parametrize(
    "security, refusal",
    [("tls", ssl.SSLError), ("starttls", imaplib.IMAP4.abort)],  # abort: no STARTTLS offered
)
def test_a_server_without_tls_is_refused(serve, trusted, owner, dns, security, refusal):
    server = serve("plain")
    uid = server.mailbox.add(signed(build()))
    with pytest.raises(refusal):
        imap.poll(account(server, security), ssl_context=trusted)
    assert "LOGIN" not in server.mailbox.commands  # the password never went out in clear
    assert server.mailbox.fetched == [] and server.mailbox.flags(uid) == set()
    assert not InboundMessage.objects.exists()


def test_an_untrusted_certificate_is_refused(serve, owner):
    server = serve()
    server.mailbox.add(signed(build()))
    with pytest.raises(ssl.SSLCertVerificationError):
        imap.poll(account(server))  # the system's trust store: the test certificate is unknown
    assert "LOGIN" not in server.mailbox.commands


def test_a_silent_server_times_out(owner, monkeypatch):
    monkeypatch.setattr(imap, "TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts connections, never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        mailbox = ImapMailbox(host="127.0.0.1", port=port, username="u", password="p")
        with pytest.raises(TimeoutError):
            imap.poll(mailbox)


def pollmail(**env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sportello.cli", "pollmail"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, **database_env(), "HUEY_IMMEDIATE": "1", **env},  # processed inline
    )  # fmt: skip


def test_pollmail_command(serve, certificate, owner, dns):
    nothing = pollmail()
    assert nothing.returncode != 0
    assert nothing.stderr.splitlines() == ["CommandError: no active IMAP mailbox is configured"]

    server = serve()
    server.mailbox.add(build(subject="Unsigned, quarantined, but stored").as_bytes())
    account(server)
    done = pollmail(SSL_CERT_FILE=certificate[0])  # the process trusts the test certificate
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "desk@127.0.0.1/INBOX: 1 new"
    assert InboundMessage.objects.get().status == InboundMessage.Status.QUARANTINED

    down = ImapMailbox.objects.create(host="127.0.0.1", port=1, username="x", password="y",
                                      recipient="hd@sportello.example")  # fmt: skip
    failed = pollmail(SSL_CERT_FILE=certificate[0])
    assert failed.returncode != 0
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"CommandError: {down}: ConnectionRefusedError")
