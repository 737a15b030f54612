"""Staff handle the quarantine; outgoing mail is DKIM-signed with the provider's key."""

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sportello.accounts.models import User
from sportello.mail.actions import queue_to_client
from sportello.mail.inbound import store
from sportello.mail.models import InboundMessage
from sportello.mail.processing import process
from sportello.testing import make_staff

from .mailmaker import build

pytestmark = pytest.mark.django_db


def quarantined() -> InboundMessage:
    row, _ = store(build(subject="Nessuna firma").as_bytes(), "hd@sportello.example", "smtp",
                   timezone.now())  # fmt: skip
    return process(row.pk, timezone.now())


def test_staff_see_release_and_delete_quarantined_mail(client, owner, dns):
    row = quarantined()
    assert row.status == "quarantined"
    client.force_login(make_staff())
    listing = client.get(reverse("desk:inbound_list")).content.decode()
    assert "Nessuna firma" in listing and "not authenticated" in listing
    page = client.get(reverse("desk:inbound", args=[row.pk]) + "?source=1").content.decode()
    assert "Message-ID" in page
    raw = client.get(reverse("desk:inbound_raw", args=[row.pk]))
    assert raw["Content-Disposition"].startswith("attachment") and raw.content == bytes(row.raw)
    client.post(reverse("desk:inbound_release", args=[row.pk]))
    row.refresh_from_db()
    assert row.status == "created" and row.ticket.client == owner


def test_delete_removes_a_quarantined_message(client, owner, dns):
    row = quarantined()
    client.force_login(make_staff())
    client.post(reverse("desk:inbound_delete", args=[row.pk]))
    assert not InboundMessage.objects.filter(pk=row.pk).exists()


def test_clients_and_billing_staff_cannot_see_incoming_mail(client, owner, dns):
    row = quarantined()
    for user in (owner.owner, make_staff(User.Role.BILLING)):
        client.force_login(user)
        assert client.get(reverse("desk:inbound", args=[row.pk])).status_code == 403


@pytest.fixture
def dkim_key(settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    path = tmp_path / "dkim.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.TraditionalOpenSSL,
                                       serialization.NoEncryption()))  # fmt: skip
    settings.DKIM_PRIVATE_KEY_FILE = str(path)
    return path


def test_outgoing_mail_is_dkim_signed_and_verifies(owner, dkim_key, deliver_outbox, inbox, client):
    from sportello.mail.backends import public_key_record

    queue_to_client(owner, "welcome")
    deliver_outbox(1)
    raw = inbox.raw_messages()[-1]
    assert b"DKIM-Signature:" in raw and b"d=sportello.example" in raw
    record = public_key_record().encode()
    assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: record)
    admin = make_staff(User.Role.ADMIN)
    client.force_login(admin)
    page = client.get(reverse("desk:mail_dns")).content.decode()
    assert "sportello._domainkey.sportello.example" in page and public_key_record() in page


def test_dkimkey_command_refuses_to_overwrite(dkim_key):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="exists already"):
        call_command("dkimkey")


def test_text_parts_keep_apostrophes_and_ampersands_as_written(owner):
    from sportello.mail.actions import render_email

    subject, text, html = render_email(
        "ticket_opened",
        {"client": owner, "ticket": type("T", (), {"code": "ABC-123-45678",
         "subject": "Dopo l'aggiornamento & <niente>", "pk": 1})(), "site_url": ""},
        "it",
    )  # fmt: skip
    assert "l'aggiornamento & <niente>" in subject
    assert "&#x27;" not in subject + text and "&amp;" not in subject + text
    assert "l&#x27;aggiornamento &amp; &lt;niente&gt;" in html
