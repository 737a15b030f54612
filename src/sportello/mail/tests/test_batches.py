"""Inbound messages processed in batches: the configuration read once per batch, one
transaction with a savepoint per message, a failing message rolled back alone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sportello.helpdesk import actions as helpdesk
from sportello.helpdesk.models import Department, Ticket
from sportello.mail import processing
from sportello.mail.inbound import store
from sportello.mail.jobs import process_waiting_inbound
from sportello.mail.models import InboundMessage
from sportello.mail.processing import process, process_batch, process_with_waiting
from sportello.testing import held_by_another_transaction, make_ticket

from .mailmaker import build, signed

pytestmark = pytest.mark.django_db
S = InboundMessage.Status
CONFIGURATION = ["mail_mailsettings", "helpdesk_department", "helpdesk_helpdesksettings",
                 "helpdesk_responsetarget", "core_provider", "api_webhookendpoint"]  # fmt: skip


def stored(raw: bytes) -> int:
    row, _created = store(raw, "hd@sportello.example", InboundMessage.Channel.PIPE, timezone.now())
    return row.pk


@pytest.fixture
def no_task(monkeypatch):
    """Messages stay `received` once stored, as when the workers are busy."""
    monkeypatch.setattr("sportello.mail.inbound.process_inbound", lambda pk: None)


def test_a_batch_reads_the_configuration_once_and_settles_every_message(owner, dns, no_task):
    pks = [stored(signed(build(subject=f"Sito lento, caso {n}"))) for n in range(5)]
    pks.append(stored(build(subject="Senza firma").as_bytes()))  # not authenticated
    with CaptureQueriesContext(connection) as queries:
        rows = process_batch(pks, timezone.now())
    assert [row.status for row in rows] == [S.CREATED] * 5 + [S.QUARANTINED]
    assert Ticket.objects.count() == 5
    for table in CONFIGURATION:
        reads = [q for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]
        assert len(reads) <= 1, (table, len(reads))
    commits = [q for q in queries.captured_queries if q["sql"].startswith("COMMIT")]
    assert len(commits) <= 1


def test_a_message_that_fails_is_rolled_back_alone(owner, dns, no_task, monkeypatch):
    pks = [stored(signed(build(subject=f"Problema numero {n}"))) for n in range(3)]
    real = helpdesk.open_ticket

    def fails_on_the_second(client, **kwargs):
        if "numero 1" in kwargs["subject"]:
            real(client, **kwargs)  # the ticket is written, then something fails
            raise RuntimeError("disk full")
        return real(client, **kwargs)

    monkeypatch.setattr("sportello.helpdesk.inbound.open_ticket", fails_on_the_second)
    rows = process_batch(pks, timezone.now())
    assert [row.status for row in rows] == [S.CREATED, S.QUARANTINED, S.CREATED]
    assert rows[1].reason == "processing error: RuntimeError"
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Problema numero 0",
        "Problema numero 2",
    ]


def test_a_task_takes_the_messages_waiting_behind_its_own(owner, dns, no_task):
    first, *others = [stored(signed(build(subject=f"Posta ferma {n}"))) for n in range(4)]
    rows = process_with_waiting(first, timezone.now())
    assert [row.status for row in rows] == [S.CREATED] * 4
    assert not InboundMessage.objects.filter(status=S.RECEIVED).exists()
    # The tasks queued for the others find them done and change nothing.
    assert process_with_waiting(others[0], timezone.now()) == []
    assert Ticket.objects.count() == 4


def test_the_sweep_processes_in_batches(owner, dns, no_task):
    for n in range(3):
        stored(signed(build(subject=f"Backup non riuscito {n}")))
    later = timezone.now() + timezone.timedelta(minutes=2)
    assert process_waiting_inbound(later) == {"processed": 3}
    assert process_waiting_inbound(later) == {"processed": 0}


def test_a_department_changed_by_staff_applies_from_the_next_batch(owner, dns, no_task):
    process_batch([stored(signed(build(subject="Primo messaggio")))], timezone.now())
    Department.objects.filter(email="hd@sportello.example").update(email="help@sportello.example")
    row = process_batch([stored(signed(build(subject="Secondo messaggio")))], timezone.now())[0]
    assert row.status == S.QUARANTINED and row.reason_code == "recipient"


def test_a_batch_delivers_its_emails_together_after_it_commits(owner, dns, no_task, monkeypatch):
    from sportello.mail import tasks
    from sportello.mail.models import OutboundEmail

    scheduled: list[list[int]] = []
    monkeypatch.setattr(tasks, "deliver_email", lambda pk: scheduled.append([pk]))
    monkeypatch.setattr(tasks, "deliver_emails", lambda pks: scheduled.append(list(pks)))
    first, *_others = [stored(signed(build(subject=f"Certificato scaduto {n}"))) for n in range(3)]
    tasks.process_inbound.call_local(first)
    queued = sorted(OutboundEmail.objects.values_list("pk", flat=True))
    assert len(queued) >= 3  # at least an acknowledgement each
    # One delivery task for the whole batch, not a task (and a connection) per email.
    assert [sorted(ids) for ids in scheduled] == [queued]


@pytest.mark.django_db(transaction=True)
def test_a_batch_takes_the_waiting_messages_no_other_worker_holds(owner, dns, no_task, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: the PostgreSQL pass")
    monkeypatch.setattr(processing, "BATCH_SIZE", 3)
    pks = [stored(signed(build(subject=f"Rinnovo del dominio {n}"))) for n in range(6)]
    oldest = InboundMessage.objects.select_for_update().filter(pk__in=pks[:2])
    with held_by_another_transaction(lambda: list(oldest)):  # a batch in progress
        rows = process_with_waiting(pks[5], timezone.now())
    assert [row.status for row in rows] == [S.CREATED] * 3
    # Its own message and two waiting that nobody held: a batch of three, not of one.
    statuses = dict(InboundMessage.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in pks] == [S.RECEIVED] * 2 + [
        S.CREATED,
        S.CREATED,
        S.RECEIVED,
        S.CREATED,
    ]


@pytest.mark.django_db(transaction=True)
def test_a_reply_whose_ticket_another_batch_holds_is_left_waiting(owner, dns, no_task):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: the PostgreSQL pass")
    ticket = make_ticket(owner)
    reply = stored(signed(build(subject=f"Re: [{ticket.code}] ancora lento", body="Ancora giù.")))
    new = stored(signed(build(subject="Un'altra cosa")))
    answering = Ticket.objects.select_for_update().filter(pk=ticket.pk)
    # A batch answering the ticket holds it until it commits.
    with held_by_another_transaction(lambda: list(answering)):
        rows = process_batch([reply, new], timezone.now())
    # Not a wait for the other batch, not a quarantine: the reply waits, the rest goes on.
    assert [row.status for row in rows] == [S.RECEIVED, S.CREATED]
    assert not ticket.messages.filter(body="Ancora giù.").exists()
    # Once the ticket is free the reply is processed like any other, in a batch or alone.
    assert process_batch([reply], timezone.now())[0].status == S.REPLIED
    assert ticket.messages.filter(body="Ancora giù.").count() == 1
    assert process(reply, timezone.now()).status == S.REPLIED  # done: nothing twice
    assert ticket.messages.filter(body="Ancora giù.").count() == 1
