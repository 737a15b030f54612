"""The quarantine as staff read it: decoded sender and subject, the text as the ticket
would show it, the reason in their language, the source only when asked for."""

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.accounts.models import User
from sportello.mail.inbound import store
from sportello.mail.processing import process
from sportello.testing import make_staff

from .mailmaker import build

pytestmark = pytest.mark.django_db


def held(raw: bytes):
    row, _ = store(raw, "hd@sportello.example", "smtp", timezone.now())
    return process(row.pk, timezone.now())


def staff(language: str) -> User:
    user = make_staff()
    user.language = language
    user.save()
    return user


def test_a_forged_message_reads_decoded_with_the_reason_in_the_staffs_language(client, owner, dns):
    message = build(
        "=?utf-8?b?T2xnYSDDiMOoIE93bmVy?= <owner@example.org>",
        subject="=?utf-8?q?Fattura_scaduta_=E2=82=AC_120?=",
        body="Pagate qui: http://truffa.example/\n\n> testo citato\n",
        attachments=[("fattura\u202efdp.exe", b"MZ", "application/octet-stream")],
    )
    row = held(message.as_bytes())
    assert row.status == "quarantined" and row.reason_code == "authentication"
    assert row.subject == "Fattura scaduta € 120" and "Olga ÈèOwner" not in row.subject
    client.force_login(staff("it"))
    listing = client.get(reverse("desk:inbound_list")).content.decode()
    assert "Fattura scaduta € 120" in listing and "Il mittente non è autenticato" in listing
    page = client.get(reverse("desk:inbound", args=[row.pk])).content.decode()
    assert "Fattura scaduta € 120" in page and "Olga Èè Owner" in page
    assert "Pagate qui: http://truffa.example/" in page
    assert "Il mittente non è autenticato" in page and "no aligned DKIM signature" in page
    assert "fattura\\u202efdp.exe" in page and "\u202e" not in page
    assert "DKIM-Signature" not in page and "Content-Transfer-Encoding" not in page
    source = client.get(reverse("desk:inbound", args=[row.pk]) + "?source=1").content.decode()
    assert "Content-Transfer-Encoding" in source and "Mostra la sorgente" not in source


def test_a_message_over_the_limits_is_shown_without_being_parsed(client, owner, dns):
    raw = b"From: owner@example.org\r\nSubject: " + b"=?utf-8?q?a?=" * 900 + b"\r\n\r\ntesto\r\n"
    row = held(raw)
    assert row.reason_code == "encoded_words"
    client.force_login(staff("en"))
    page = client.get(reverse("desk:inbound", args=[row.pk])).content.decode()
    assert "Its headers hold too many encoded words" in page
    assert "Not read: the message is over the limits" in page
