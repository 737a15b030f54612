import socket
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sportello.mail.actions import queue_rendered, queue_to_client
from sportello.mail.jobs import send_due_emails
from sportello.mail.models import OutboundEmail
from sportello.mail.sender import deliver, deliver_all
from sportello.testing import held_by_another_transaction, make_client

pytestmark = pytest.mark.django_db


def test_email_is_written_in_the_recipients_language_and_delivered_over_smtp(deliver_outbox):
    client = make_client("ana@example.es", language="es", name="Ana")
    email = queue_to_client(client, "welcome")
    assert email.language == "es"
    [message] = deliver_outbox(1)
    assert message["To"] == "ana@example.es"
    assert message["Subject"].strip() == email.subject
    assert message.get_body(("html",)) is not None
    assert "Ana" in message.get_body(("plain",)).get_content()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.message_id == message["Message-ID"]
    assert email.attempts == 1


def test_the_outbox_row_is_written_in_the_transaction_that_causes_it(
    owner, django_capture_on_commit_callbacks, inbox
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue_to_client(owner, "welcome")
    # Nothing is sent before the transaction commits; the row is there.
    assert inbox.messages == []
    assert len(callbacks) == 1
    assert OutboundEmail.objects.filter(client=owner, status="queued").count() == 1


def test_failed_delivery_is_retried_with_backoff_then_given_up(owner, settings):
    settings.EMAIL_PORT = 9  # nothing listens there
    settings.OUTBOX_MAX_ATTEMPTS = 3
    email = queue_to_client(owner, "welcome")
    now = timezone.now()
    assert deliver(email.pk, now) is False
    email.refresh_from_db()
    assert email.status == "queued" and email.attempts == 1
    assert email.next_attempt_at == now + timedelta(minutes=1)
    assert "Error" in email.last_error or "refused" in email.last_error.lower()

    # Not due yet: the sweeper leaves it alone.
    assert send_due_emails(now + timedelta(seconds=30))["sent"] == 0
    email.refresh_from_db()
    assert email.attempts == 1

    deliver(email.pk, now + timedelta(minutes=1))
    email.refresh_from_db()
    assert email.attempts == 2 and email.next_attempt_at == now + timedelta(minutes=3)
    deliver(email.pk, now + timedelta(minutes=3))
    email.refresh_from_db()
    assert email.status == "failed" and email.attempts == 3


def test_a_retry_succeeds_once_the_server_answers(owner, settings, inbox):
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9
    email = queue_to_client(owner, "welcome")
    now = timezone.now()
    deliver(email.pk, now)
    settings.EMAIL_PORT = port
    assert send_due_emails(now + timedelta(minutes=2)) == {"sent": 1, "recovered": 0}
    assert len(inbox.wait_for(1)) == 1


def test_delivering_twice_sends_once(owner, inbox):
    email = queue_to_client(owner, "welcome")
    now = timezone.now()
    assert deliver(email.pk, now) is True
    assert deliver(email.pk, now) is False
    assert send_due_emails(now)["sent"] == 0
    inbox.wait_for(1)
    assert len(inbox.messages) == 1


def test_a_send_interrupted_by_a_crash_is_picked_up_again(owner, inbox):
    email = queue_to_client(owner, "welcome")
    long_ago = timezone.now() - timedelta(hours=1)
    OutboundEmail.objects.filter(pk=email.pk).update(status="sending", next_attempt_at=long_ago)
    result = send_due_emails(timezone.now())
    assert result == {"sent": 1, "recovered": 1}
    inbox.wait_for(1)


class CountingRelay:
    """An SMTP server that answers 451 to the messages it is told to, and notes over which
    connection each message came."""

    def __init__(self, refuse=()):
        self.refuse, self.connections, self.count = set(refuse), [], 0
        self.message_ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        if self.count in self.refuse:
            return "451 4.3.0 Try again later"
        self.connections.append(id(session))
        self.message_ids.append(message_from_bytes(envelope.content)["Message-ID"])
        return "250 OK"


@pytest.fixture
def counting_relay(settings):
    def start(refuse=()):
        relay = CountingRelay(refuse)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        controller = Controller(relay, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        settings.EMAIL_PORT = port
        return relay

    started = []
    yield start
    for controller in started:
        controller.stop()


def test_emails_queued_together_go_out_over_one_connection(owner, counting_relay):
    relay = counting_relay()
    emails = [queue_to_client(owner, "welcome") for _ in range(3)]
    assert deliver_all([e.pk for e in emails], timezone.now()) == 3
    assert len(relay.connections) == 3 and len(set(relay.connections)) == 1


def test_a_chunk_of_emails_is_claimed_and_recorded_in_a_few_queries(owner, counting_relay):
    relay = counting_relay()
    emails = [queue_to_client(owner, "welcome") for _ in range(19)]
    threaded = queue_rendered(to_address="x@example.org", template="t", subject="Oggetto",
                              body_text="Testo.", body_html="", language="it",
                              message_id="<primo@sportello.example>")  # fmt: skip
    emails.insert(7, threaded)
    with CaptureQueriesContext(connection) as queries:
        assert deliver_all([e.pk for e in emails], timezone.now()) == 20
    assert relay.count == 20
    # Claimed (read and marked), then recorded: not three queries an email.
    writes = [q for q in queries.captured_queries if q["sql"].startswith(("SELECT", "UPDATE"))]
    assert len(writes) == 3, [q["sql"][:80] for q in writes]
    sent = OutboundEmail.objects.filter(pk__in=[e.pk for e in emails])
    assert {(e.status, e.attempts, bool(e.message_id)) for e in sent} == {("sent", 1, True)}
    assert len({e.message_id for e in sent}) == 20
    # The Message-ID each recipient got is the one recorded; one given at queueing is kept.
    ids = {e.pk: e.message_id for e in sent}
    assert ids[threaded.pk] == "<primo@sportello.example>"
    assert sorted(relay.message_ids) == sorted(ids.values())


@pytest.mark.django_db(transaction=True)
def test_an_email_another_worker_is_claiming_is_left_to_it(owner, counting_relay, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: the PostgreSQL pass")
    monkeypatch.setattr("sportello.mail.actions._schedule_delivery", lambda ids: None)
    relay = counting_relay()
    emails = [queue_to_client(owner, "welcome") for _ in range(3)]
    claiming = OutboundEmail.objects.select_for_update().filter(pk=emails[0].pk)
    with held_by_another_transaction(lambda: list(claiming)):
        assert deliver_all([e.pk for e in emails], timezone.now()) == 2
    assert relay.count == 2
    statuses = [OutboundEmail.objects.get(pk=e.pk).status for e in emails]
    assert statuses == ["queued", "sent", "sent"]
    assert deliver_all([e.pk for e in emails], timezone.now()) == 1  # once, not again
    assert relay.count == 3


def test_an_email_that_cannot_be_made_is_retried_and_the_chunk_still_goes_out(
    owner, counting_relay, monkeypatch
):
    relay = counting_relay()
    emails = [queue_to_client(owner, "welcome") for _ in range(3)]
    broken = queue_rendered(to_address="x@example.org", template="t", subject="Fattura",
                            body_text="In allegato.", body_html="", language="it",
                            attachments=[("fattura.pdf", "application/pdf", b"%PDF")])  # fmt: skip

    def pdf_fails(attachment):
        raise RuntimeError("the PDF could not be rendered")

    monkeypatch.setattr("sportello.mail.sender.attachment_content", pdf_fails)
    now = timezone.now()
    assert deliver_all([emails[0].pk, broken.pk, *[e.pk for e in emails[1:]]], now) == 3
    assert relay.count == 3
    broken.refresh_from_db()
    assert (broken.status, broken.attempts) == ("queued", 1)
    assert "PDF could not be rendered" in broken.last_error
    assert broken.next_attempt_at > now
    assert {e.status for e in OutboundEmail.objects.exclude(pk=broken.pk)} == {"sent"}


def test_a_refused_email_in_a_batch_is_retried_and_the_rest_still_go_out(owner, counting_relay):
    relay = counting_relay(refuse={2})
    emails = [queue_to_client(owner, "welcome") for _ in range(3)]
    now = timezone.now()
    assert deliver_all([e.pk for e in emails], now) == 2
    statuses = [OutboundEmail.objects.get(pk=e.pk).status for e in emails]
    assert statuses == ["sent", "queued", "sent"]
    # After the refusal the connection is opened again for the next email.
    assert len(set(relay.connections)) == 2
    assert deliver_all([emails[1].pk], now + timedelta(minutes=1)) == 1


def test_a_long_subject_in_any_script_arrives_whole_in_short_lines(owner, inbox):
    subject = (
        "[Sportello] [ABC-123-45678] Nuovo ticket · Perché il sito è lento? Año nuevo € 😀 " * 2
    )
    email = queue_rendered(to_address="ana@example.es", template="welcome", subject=subject,
                           body_text="Testo", body_html="", language="it")  # fmt: skip
    assert deliver(email.pk, timezone.now())
    [message] = inbox.wait_for(1)
    assert message["Subject"] == subject[:300]
    head = inbox.raw_messages()[0].split(b"\r\n\r\n", 1)[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
