"""Inbound mail rules: who may write, forgery, threading, content, loops and bounces."""

import json
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.utils import timezone

from sportello.helpdesk import actions as helpdesk
from sportello.helpdesk.models import Ticket
from sportello.mail import authentication
from sportello.mail.inbound import store
from sportello.mail.models import InboundMessage, MailSettings, OutboundEmail
from sportello.mail.processing import process
from sportello.testing import make_ticket, make_tier

from .mailmaker import FakeDns, build, delivery_report, signed

pytestmark = pytest.mark.django_db
S = InboundMessage.Status


def deliver(raw: bytes, to="hd@sportello.example") -> InboundMessage:
    row, _created = store(raw, to, InboundMessage.Channel.PIPE, timezone.now())
    return process(row.pk, timezone.now())


def test_registered_signed_sender_opens_a_low_priority_ticket(owner, dns, deliver_outbox):
    row = deliver(signed(build(subject="Sito olga.it lento")))
    assert row.status == S.CREATED
    ticket = row.ticket
    assert ticket.client == owner and ticket.channel == "email" and ticket.priority == "low"
    assert ticket.department.code == "helpdesk" and ticket.subject == "Sito olga.it lento"
    mails = deliver_outbox(1)
    confirmation = next(m for m in mails if m["To"] == owner.contact_email)
    assert ticket.code in confirmation["Subject"]


def test_recipient_routes_to_the_department(owner, dns):
    row = deliver(signed(build(to="sales@sportello.example")), to="sales@sportello.example")
    assert row.ticket.department.code == "sales"


def test_the_same_message_twice_is_processed_once(owner, dns):
    raw = signed(build())
    deliver(raw)
    again, created = store(raw, "hd@sportello.example", InboundMessage.Channel.SMTP, timezone.now())
    assert not created
    assert process(again.pk, timezone.now()).status == S.CREATED
    assert Ticket.objects.count() == 1


def test_unknown_sender_gets_one_short_answer_a_day_and_nothing_else(dns, deliver_outbox):
    dns.publish("stranger.example")
    for subject in ("Prima", "Seconda"):
        row = deliver(signed(build("mallory@stranger.example", subject=subject)))
        assert row.status == S.REFUSED and row.ticket is None
    mails = deliver_outbox(1)
    assert len(mails) == 1 and mails[0]["To"] == "mallory@stranger.example"
    text = mails[0].get_body(("plain",)).get_content()
    assert "indirizzo registrato" in text and "olga" not in text.lower()
    assert not Ticket.objects.exists()


def test_reply_to_and_sender_headers_are_never_the_sender(owner, dns):
    dns.publish("stranger.example")
    message = build("mallory@stranger.example", headers={
        "Reply-To": owner.contact_email, "Sender": owner.contact_email})  # fmt: skip
    assert deliver(signed(message)).status == S.REFUSED
    assert not Ticket.objects.exists()


def test_client_whose_tier_has_no_help_desk_is_refused_like_a_stranger(owner, dns):
    owner.tier = make_tier("web", helpdesk_access=False)
    owner.save()
    assert deliver(signed(build())).status == S.REFUSED


def test_unsigned_mail_is_quarantined_with_its_raw_bytes(owner, dns):
    raw = build().as_bytes()
    row = deliver(raw)
    assert row.status == S.QUARANTINED and "not authenticated" in row.reason
    assert bytes(row.raw) == raw and not Ticket.objects.exists()


def test_signature_by_another_domain_is_not_aligned(owner, dns):
    dns.publish("attacker.example")
    row = deliver(signed(build(), domain="attacker.example"))
    assert row.status == S.QUARANTINED


def test_a_signature_by_the_senders_organisation_is_aligned(owner, dns):
    """Relaxed alignment is by organisational domain: a signature by the mail servers'
    subdomain speaks for the client's address."""
    dns.publish("mail.example.org", dmarc=False)
    assert deliver(signed(build(), domain="mail.example.org")).status == S.CREATED


@pytest.mark.parametrize(
    "domain, from_domain, same",
    [
        ("mail.example.co.uk", "example.co.uk", True),
        ("a.b.example.com.br", "c.example.com.br", True),
        ("attacker.co.uk", "victim.co.uk", False),  # co.uk is a public suffix
        ("attacker.github.io", "victim.github.io", False),  # each user its own organisation
        ("example.it", "example.it.attacker.example", False),
    ],
)
def test_alignment_follows_the_public_suffix_list(domain, from_domain, same):
    assert authentication.aligned(domain, from_domain) is same


def test_a_subdomain_falls_under_its_organisations_dmarc_policy(dns):
    dns["_dmarc.example.co.uk"] = ["v=DMARC1; p=reject"]
    dns["_dmarc.co.uk"] = ["v=DMARC1; p=none; a record a public suffix cannot publish"]
    assert authentication.dmarc_record("help.shop.example.co.uk") == "v=DMARC1; p=reject"
    del dns["_dmarc.example.co.uk"]
    assert authentication.dmarc_record("help.shop.example.co.uk") is None


def test_records_file_stands_in_for_dns(owner, settings, tmp_path):
    """MAIL_DNS_FILE: the keys of a closed network, without DNS (the `dns` fixture unused)."""
    records = FakeDns()
    records.publish("example.org")
    path = tmp_path / "records.json"
    path.write_text(json.dumps({name.upper() + ".": values for name, values in records.items()}))
    settings.MAIL_DNS_FILE = str(path)
    assert deliver(signed(build())).status == S.CREATED
    assert deliver(signed(build(subject="Altro"), domain="other.example")).status == S.QUARANTINED


def test_tampered_message_fails_dkim(owner, dns):
    raw = signed(build(body="Cambiate la password")).replace(b"Cambiate", b"Cancellate")
    assert deliver(raw).status == S.QUARANTINED


def test_dmarc_policy_accepts_unsigned_mail_from_domains_without_dmarc(owner, dns):
    settings = MailSettings.current()
    settings.auth_policy = MailSettings.AuthPolicy.DMARC
    settings.save()
    del dns["_dmarc.example.org"]
    assert deliver(build().as_bytes()).status == S.CREATED
    dns.publish("example.org")  # publishes DMARC again
    assert deliver(build(subject="Altro problema").as_bytes()).status == S.QUARANTINED


def test_trusted_mta_results_count_and_others_are_ignored(owner, dns):
    settings = MailSettings.current()
    settings.trusted_authserv_id = "mx.sportello.example"
    settings.save()
    forged = build(headers={"Authentication-Results": "mx.evil.example; dmarc=pass"})
    assert deliver(forged.as_bytes()).status == S.QUARANTINED
    trusted = build(subject="Dns olga.it", headers={
        "Authentication-Results": "mx.sportello.example; dkim=pass header.d=example.org"
    })  # fmt: skip
    assert deliver(trusted.as_bytes()).status == S.CREATED


def test_only_the_topmost_results_of_the_trusted_mta_count(owner, dns):
    settings = MailSettings.current()
    settings.trusted_authserv_id = "mx.sportello.example"
    settings.save()
    # The sender wrote a passing header in our MTA's name; the MTA's own, on top, failed.
    forged = build(headers={"Authentication-Results": "mx.sportello.example; dmarc=pass"})
    raw = b"Authentication-Results: mx.sportello.example; dmarc=fail\r\n" + forged.as_bytes()
    assert deliver(raw).status == S.QUARANTINED
    # Under another hop's header, the MTA's is no longer the topmost: not believed.
    raw = (
        b"Authentication-Results: relay.example; none\r\n"
        + build(subject="Dns olga.it", headers={
            "Authentication-Results": "mx.sportello.example; dmarc=pass"
        }).as_bytes()
    )  # fmt: skip
    assert deliver(raw).status == S.QUARANTINED


@pytest.mark.parametrize("prefix", ["Re: ", "R: ", "RE: ", "Fwd: ", "I: ", "RV: ", "AW: ", "Re: ["])
def test_reply_by_code_in_the_subject(owner, dns, prefix):
    ticket = make_ticket(owner)
    subject = (
        f"{prefix}{ticket.code}] {ticket.subject}"
        if prefix.endswith("[")
        else (f"{prefix}[{ticket.code}] {ticket.subject}")
    )
    row = deliver(signed(build(subject=subject, body="Ancora lento.")))
    assert row.status == S.REPLIED and row.ticket == ticket
    assert ticket.messages.filter(kind="client", body="Ancora lento.").exists()


def test_reply_by_in_reply_to_a_notification(owner, dns, deliver_outbox):
    ticket = make_ticket(owner)
    deliver_outbox(1)
    sent = OutboundEmail.objects.filter(client=owner).first()
    row = deliver(signed(build(subject="la vostra mail", headers={"In-Reply-To": sent.message_id})))
    assert row.status == S.REPLIED and row.ticket == ticket


def test_the_code_alone_is_no_proof(owner, other_client, dns):
    ticket = make_ticket(other_client)
    dns.publish("example.org")
    row = deliver(signed(build(subject=f"Re: [{ticket.code}] dammi accesso")))
    assert row.status == S.QUARANTINED and "another account" in row.reason
    assert ticket.messages.count() == 1


def test_replies_refused_by_setting_point_to_the_panel(owner, dns, deliver_outbox):
    settings = MailSettings.current()
    settings.email_replies = MailSettings.Replies.REFUSE
    settings.save()
    ticket = make_ticket(owner)
    deliver_outbox(1)
    row = deliver(signed(build(subject=f"Re: [{ticket.code}] x", body="risposta")))
    assert row.status == S.REFUSED and ticket.messages.count() == 1
    answer = deliver_outbox(2)[-1]
    assert f"/panel/tickets/{ticket.code}/" in answer.get_body(("plain",)).get_content()


def test_quoted_text_and_signature_are_set_apart(owner, dns):
    body = (
        "Grazie, ora funziona.\n\n"
        "Il giorno lun 3 nov 2026 alle 10:00 Sportello ha scritto:\n> Riavviato.\n"
    )
    row = deliver(signed(build(body=body)))
    message = row.ticket.messages.get(kind="client")
    assert message.body == "Grazie, ora funziona."
    assert "> Riavviato." in message.quoted


def test_html_only_mail_is_sanitised_to_text(owner, dns):
    message = EmailMessage()
    for name, value in build().items():
        if name.lower() != "content-type" and name.lower() != "content-transfer-encoding":
            message[name] = value
    message.set_content("<p>Ciao<script>alert(1)</script></p><p>Il <b>DNS</b> non va</p>",
                        subtype="html")  # fmt: skip
    row = deliver(signed(message))
    body = row.ticket.messages.get(kind="client").body
    assert "script" not in body and "alert" not in body and "Il DNS non va" in body


def test_attachments_over_the_limit_are_dropped_and_the_client_told(owner, dns, deliver_outbox):
    message = build(attachments=[
        ("log.txt", b"errore 500", "text/plain"),
        ("dump.zip", b"x" * (1024 * 1024), "application/zip"),
    ])  # fmt: skip
    row = deliver(signed(message))
    assert row.status == S.CREATED
    files = list(
        row.ticket.messages.get(kind="client").attachments.values_list("filename", flat=True)
    )
    assert files == ["log.txt"]
    told = [m for m in deliver_outbox(2) if "dump.zip" in m.get_body(("plain",)).get_content()]
    assert len(told) == 1 and told[0]["To"] == owner.contact_email


@pytest.mark.parametrize("header", [
    ("Auto-Submitted", "auto-replied"), ("Precedence", "bulk"), ("X-Autoreply", "yes"),
    ("List-Id", "<news.example.org>"),
])  # fmt: skip
def test_no_automatic_answer_to_automatic_mail(dns, header, deliver_outbox, inbox):
    dns.publish("stranger.example")
    row = deliver(signed(build("bot@stranger.example", headers=dict([header]))))
    assert row.status == S.REFUSED
    from sportello.mail.jobs import send_due_emails

    send_due_emails(timezone.now())
    assert OutboundEmail.objects.count() == 0


def test_automatic_mail_from_a_client_opens_no_confirmation_loop(owner, dns):
    row = deliver(signed(build(headers={"Auto-Submitted": "auto-replied"})))
    assert row.status == S.CREATED
    assert not OutboundEmail.objects.filter(client=owner).exists()


def test_our_own_mail_coming_back_is_ignored(dns):
    dns.publish("sportello.example")
    row = deliver(signed(build("hd@sportello.example")))
    assert row.status == S.REFUSED and "loop" in row.reason


def test_a_bounce_marks_the_email_and_flags_the_address(owner, dns):
    ticket = make_ticket(owner)
    sent = OutboundEmail.objects.filter(client=owner).first()
    sent.message_id = make_msgid(domain="sportello.example")
    sent.save()
    report = delivery_report({"Message-ID": sent.message_id, "Subject": sent.subject})
    row = deliver(report)
    assert row.status == S.BOUNCE
    sent.refresh_from_db()
    owner.owner.refresh_from_db()
    assert sent.status == OutboundEmail.Status.BOUNCED
    assert owner.owner.email_bounced_at is not None
    assert ticket.pk


def test_a_closed_ticket_too_old_to_reopen_gets_a_new_one(owner, dns):
    ticket = make_ticket(owner)
    helpdesk.set_status(ticket, None, "closed", timezone.now() - timedelta(days=30))
    row = deliver(signed(build(subject=f"Re: [{ticket.code}] ancora", body="Di nuovo giù")))
    assert row.status == S.CREATED and row.ticket != ticket


def test_quarantined_message_released_by_staff(owner, dns):
    row = deliver(build().as_bytes())
    assert row.status == S.QUARANTINED
    released = process(row.pk, timezone.now(), trust_sender=True)
    assert released.status == S.CREATED and released.ticket.client == owner
