"""The reply path end to end: a notification leaves over real SMTP from the department's
address, the client's mail program answers it, and the answer comes back through the
gateway onto the ticket; bounces come back to a signed return path."""

import smtplib
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from sportello.helpdesk import actions as helpdesk
from sportello.mail import verp
from sportello.mail.gateway import controller
from sportello.mail.inbound import store
from sportello.mail.models import InboundMessage, OutboundEmail
from sportello.mail.processing import process, recipient_known
from sportello.testing import make_staff, make_ticket

from .mailmaker import delivery_report, signed

S = InboundMessage.Status


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gateway(transactional_db):
    server = controller("127.0.0.1", _free_port())
    server.start()
    yield server
    server.stop()


class Envelopes:
    """A listener that keeps what the envelope said (the return path) with each message."""

    def __init__(self):
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, envelope.rcpt_tos, envelope.original_content))
        return "250 OK"


@pytest.fixture
def envelopes(settings):
    handler = Envelopes()
    listener = Controller(handler, hostname="127.0.0.1", port=_free_port())
    listener.start()
    settings.EMAIL_PORT = listener.port
    yield handler
    listener.stop()


def notification(inbox, deliver_outbox, count: int) -> EmailMessage:
    deliver_outbox(count)
    return message_from_bytes(inbox.raw_messages()[count - 1], policy=policy.default)


def answer(original: EmailMessage, body: str, *, style: str) -> EmailMessage:
    """The reply a mail program builds: to Reply-To (else From), "Re:" before the subject,
    In-Reply-To the original's Message-ID and References its chain plus that id, the
    original quoted under an attribution line in the program's own manner."""
    reply = EmailMessage()
    reply["From"] = "Olga Owner <owner@example.org>"
    reply["To"] = original["Reply-To"] or original["From"]
    prefix = {"gmail": "Re: ", "outlook": "R: ", "thunderbird": "Re: "}[style]
    reply["Subject"] = prefix + str(original["Subject"])
    reply["Date"] = format_datetime(timezone.now())
    reply["Message-ID"] = make_msgid(domain="example.org")
    reply["In-Reply-To"] = original["Message-ID"]
    if style != "outlook":  # Outlook on the web keeps only In-Reply-To and Thread-Index
        reply["References"] = " ".join(
            filter(None, [str(original.get("References", "")), str(original["Message-ID"])])
        )
    else:
        reply["Thread-Index"] = "AQHZ1234567890abcdef=="
    text = original.get_body(("plain",))
    assert text is not None
    quoted = "\n".join("> " + line for line in text.get_content().split("\n"))
    attribution = {
        "gmail": f"Il giorno lun 3 nov 2026 alle ore 10:00 {original['From']} ha scritto:",
        "outlook": f"Da: {original['From']}\nInviato: lunedì 3 novembre 2026 10:00\n"
        f"A: owner@example.org\nOggetto: {original['Subject']}\n",
        "thunderbird": f"Il 03/11/26 10:00, {original['From']} ha scritto:",
    }[style]
    reply.set_content(f"{body}\n\n{attribution}\n{quoted}\n")
    return reply


@pytest.mark.parametrize("style", ["gmail", "outlook", "thunderbird"])
def test_a_plain_reply_to_a_notification_lands_on_the_ticket(
    gateway, owner, dns, inbox, deliver_outbox, style
):
    ticket = make_ticket(owner)
    staff = make_staff()
    sent = notification(inbox, deliver_outbox, 1)  # the acknowledgement
    helpdesk.reply_as_staff(ticket, staff, "Abbiamo riavviato PHP: va meglio?", timezone.now())
    sent = notification(inbox, deliver_outbox, 2)  # the staff's answer, over real SMTP
    department = ticket.department.email
    assert parseaddr(str(sent["From"]))[1] == department
    assert str(sent["Reply-To"]) == department
    assert ticket.code in str(sent["Subject"])
    assert ticket.thread_id() in str(sent["References"])
    assert sent["Message-ID"] and sent["Message-ID"] != ticket.thread_id()

    reply = answer(sent, "Sì, ora il sito è veloce. Grazie!", style=style)
    with smtplib.SMTP(gateway.hostname, gateway.port, timeout=10) as smtp:
        refused = smtp.sendmail("owner@example.org", [str(reply["To"])], signed(reply))
    assert refused == {}
    row = InboundMessage.objects.get()
    assert row.status == S.REPLIED, row.reason
    assert row.ticket == ticket
    message = ticket.messages.filter(kind="client").last()
    assert message.body == "Sì, ora il sito è veloce. Grazie!"
    assert "Abbiamo riavviato PHP" in message.quoted


def test_notifications_leave_with_a_signed_return_path(owner, envelopes, deliver_outbox):
    ticket = make_ticket(owner)
    from sportello.mail.jobs import send_due_emails

    send_due_emails(timezone.now())
    mail_from, rcpt, raw = envelopes.received[0]
    email = OutboundEmail.objects.get(client=owner)
    assert mail_from == verp.return_path(email.pk) and mail_from.startswith("bounces+")
    assert verp.email_id_of(mail_from) == email.pk and recipient_known(mail_from)
    assert rcpt == [owner.contact_email] and ticket.code.encode() in raw
    # A token nobody signed is refused; so is another email's token with this one's id.
    forged = mail_from.replace(mail_from.split("-")[1][:4], "0000")
    assert verp.email_id_of(forged) is None and not recipient_known(forged)
    other = verp.return_path(email.pk + 1).replace(str(email.pk + 1), str(email.pk), 1)
    assert verp.email_id_of(other) is None


def deliver(raw: bytes, to: str, envelope_from: str = "<>") -> InboundMessage:
    row, _created = store(raw, to, InboundMessage.Channel.SMTP, timezone.now(),
                          envelope_from=envelope_from)  # fmt: skip
    return process(row.pk, timezone.now())


def test_a_bounce_to_the_return_path_marks_that_email(owner, deliver_outbox):
    make_ticket(owner)
    deliver_outbox(1)
    email = OutboundEmail.objects.get(client=owner)
    # The report names no Message-ID at all: the return path alone says which email.
    row = deliver(delivery_report({"Subject": "?"}, to="x"), verp.return_path(email.pk))
    assert row.status == S.BOUNCE and "bounced" in row.reason
    email.refresh_from_db()
    owner.owner.refresh_from_db()
    assert email.status == OutboundEmail.Status.BOUNCED and owner.owner.email_bounced_at


def test_an_out_of_office_answer_to_the_return_path_changes_nothing(owner, deliver_outbox):
    make_ticket(owner)
    deliver_outbox(1)
    email = OutboundEmail.objects.get(client=owner)
    away = EmailMessage()
    away["From"] = "owner@example.org"
    away["Subject"] = "Risposta automatica: sono in ferie"
    away["Auto-Submitted"] = "auto-replied"
    away.set_content("Torno lunedì.")
    row = deliver(away.as_bytes(), verp.return_path(email.pk))
    assert row.status == S.BOUNCE and "no failure" in row.reason
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT


def test_reports_to_a_department_count_only_for_our_message_ids(owner, deliver_outbox):
    make_ticket(owner)
    deliver_outbox(1)
    email = OutboundEmail.objects.get(client=owner)
    guess = delivery_report({"Message-ID": "<not-ours@sportello.example>",
                             "To": owner.contact_email})  # fmt: skip
    assert "unknown" in deliver(guess, "hd@sportello.example").reason
    delayed = delivery_report({"Message-ID": email.message_id}, action="delayed")
    assert "without a failure" in deliver(delayed, "hd@sportello.example").reason
    email.refresh_from_db()
    owner.owner.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and owner.owner.email_bounced_at is None
    failed = delivery_report({"Message-ID": email.message_id})
    assert deliver(failed, "hd@sportello.example").status == S.BOUNCE
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.BOUNCED


def test_mail_about_no_ticket_says_replies_are_not_read(owner, inbox):
    from sportello.mail.actions import queue_to_client
    from sportello.mail.jobs import send_due_emails

    queue_to_client(owner, "welcome", {"user": owner.owner, "activation_url": "http://x/"})
    send_due_emails(timezone.now())
    sent = inbox.wait_for(1)[0]
    assert sent["Reply-To"] is None
    assert "noreply@" in str(sent["From"])
    text = sent.get_body(("plain",)).get_content()
    assert "non vengono lette" in text and "http://" in text


@pytest.mark.django_db
def test_the_answer_to_an_unknown_sender_names_the_provider_with_a_full_link(dns, inbox):
    from sportello.core.models import Provider
    from sportello.mail.jobs import send_due_emails

    dns.publish("stranger.example")
    message = EmailMessage()
    message["From"] = "mallory@stranger.example"
    message["To"] = "hd@sportello.example"
    message["Subject"] = "Aiuto"
    message["Message-ID"] = make_msgid(domain="stranger.example")
    message.set_content("ciao")
    row = deliver(signed(message), "hd@sportello.example", "mallory@stranger.example")
    assert row.status == S.REFUSED
    send_due_emails(timezone.now())
    sent = inbox.wait_for(1)[0]
    text = sent.get_body(("plain",)).get_content()
    assert Provider.current().name in text and Provider.current().name in str(sent["Subject"])
    assert "http://" in text and "/panel/tickets/new/" in text
