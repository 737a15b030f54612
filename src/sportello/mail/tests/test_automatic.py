"""Automatic mail never reopens, moves or answers a ticket; bodies that are hard to read
still make a ticket, and the client is told when the text could not be read."""

from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.utils import timezone

from sportello.helpdesk import actions as helpdesk
from sportello.helpdesk.models import Attachment, Ticket
from sportello.mail.inbound import store
from sportello.mail.models import InboundMessage, OutboundEmail
from sportello.mail.processing import process
from sportello.testing import make_staff, make_ticket

from .mailmaker import build, signed

pytestmark = pytest.mark.django_db
S = InboundMessage.Status


def deliver(raw: bytes, envelope_from="owner@example.org") -> InboundMessage:
    row, _created = store(raw, "hd@sportello.example", InboundMessage.Channel.SMTP,
                          timezone.now(), envelope_from=envelope_from)  # fmt: skip
    return process(row.pk, timezone.now())


AUTOMATIC = {
    "RFC 3834 auto-replied": ({"Auto-Submitted": "auto-replied"}, "Re: {code}", None),
    "auto-generated": ({"Auto-Submitted": "auto-generated"}, "Re: {code}", None),
    "Precedence bulk": ({"Precedence": "bulk"}, "Re: {code}", None),
    "Precedence junk": ({"Precedence": "junk"}, "Re: {code}", None),
    "X-Autoreply": ({"X-Autoreply": "yes"}, "Re: {code}", None),
    "Outlook out of office": ({}, "Risposta automatica: {code}", None),
    "English out of office": ({}, "Out of Office: {code}", None),
    "Spanish out of office": ({}, "Respuesta automática: {code}", None),
    "null sender": ({}, "Re: {code}", "<>"),
}  # fmt: skip


@pytest.mark.parametrize("kind", AUTOMATIC)
@pytest.mark.parametrize("status", ["closed", "waiting"])
def test_automatic_mail_is_an_internal_note_and_changes_nothing(owner, dns, kind, status):
    headers, subject, envelope = AUTOMATIC[kind]
    ticket = make_ticket(owner)
    staff = make_staff()
    helpdesk.set_status(ticket, staff, status, timezone.now() - timedelta(hours=1))
    ticket.refresh_from_db()
    before = (ticket.status, ticket.last_activity_at, ticket.resolution_due)
    emails = OutboundEmail.objects.count()
    message = build(subject=subject.format(code=f"[{ticket.code}]"), body="Sono in ferie.",
                    headers=headers)  # fmt: skip
    row = deliver(signed(message), envelope or "owner@example.org")
    assert row.status == S.REPLIED and row.ticket == ticket, row.reason
    note = ticket.messages.get(kind="note")
    assert note.body == "Sono in ferie." and note.source == row
    ticket.refresh_from_db()
    assert (ticket.status, ticket.last_activity_at, ticket.resolution_due) == before
    assert OutboundEmail.objects.count() == emails  # nobody answered, nobody alerted


def test_an_empty_text_part_falls_back_to_the_html_part(owner, dns):
    html = "<p>Il <b>DNS</b> di olga.it non risolve</p><script>x()</script>"
    message = build(body="\n", html=html)
    row = deliver(signed(message))
    body = row.ticket.messages.get(kind="client").body
    assert body == "Il DNS di olga.it non risolve"


def test_a_broken_mime_structure_falls_back_to_the_raw_text(owner, dns):
    message = EmailMessage()
    for name, value in build().items():
        if name.lower() not in ("content-type", "content-transfer-encoding", "mime-version"):
            message[name] = value
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = "multipart/mixed; boundary=manca"
    message.set_payload("Il sito è lento da stamattina.\r\nGrazie.\r\n", "utf-8")
    raw = signed(message)
    row = deliver(raw)
    assert row.status == S.CREATED, row.reason
    assert "Il sito è lento da stamattina." in row.ticket.messages.get(kind="client").body


def test_an_attachment_only_email_makes_a_ticket_and_the_client_is_told(owner, dns, deliver_outbox):
    error = ("errore.txt", b"500 Internal Server Error", "text/plain")
    message = build(body="", attachments=[error])
    message.get_body(("plain",)).set_content("")
    row = deliver(signed(message))
    assert row.status == S.CREATED
    assert Attachment.objects.filter(message__ticket=row.ticket, filename="errore.txt").exists()
    assert "non si è potuto leggere" in row.ticket.messages.get(kind="client").body
    mails = deliver_outbox(1)
    assert len(mails) == 1 and row.ticket.code in str(mails[0]["Subject"])
    assert "solo allegati" in mails[0].get_body(("plain",)).get_content()


@pytest.mark.parametrize("kind", ["smime", "pgp-mime", "pgp-inline"])
def test_an_encrypted_email_makes_a_ticket_and_the_client_is_told(owner, dns, deliver_outbox, kind):
    message = build(subject="Richiesta cifrata", body="x")
    if kind == "smime":
        message.set_content(
            b"\x30\x82encrypted", maintype="application", subtype="pkcs7-mime",
            params={"smime-type": "enveloped-data"}, filename="smime.p7m",
        )  # fmt: skip
    elif kind == "pgp-mime":
        message.set_content("Version: 1", subtype="plain")
        message.make_mixed()
        message.replace_header(
            "Content-Type", 'multipart/encrypted; protocol="application/pgp-encrypted"; boundary=x'
        )
    else:
        message.set_content("-----BEGIN PGP MESSAGE-----\nhQEMA...\n-----END PGP MESSAGE-----\n")
    row = deliver(signed(message))
    assert row.status == S.CREATED, row.reason
    assert row.ticket.subject == "Richiesta cifrata"
    mails = deliver_outbox(1)
    assert "cifrata" in mails[0].get_body(("plain",)).get_content()
    assert Ticket.objects.count() == 1
