"""Test mail: messages built with the stdlib, DKIM keys generated on the spot, and DNS
answered by a dictionary the test fills (no network)."""

import base64
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils import timezone

_KEYS: dict[str, tuple[bytes, str]] = {}


def key_pair(domain: str) -> tuple[bytes, str]:
    """A private key (PEM) and the DKIM TXT record that publishes its public half."""
    if domain not in _KEYS:
        private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        public = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _KEYS[domain] = (pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode())
    return _KEYS[domain]


def build(sender="owner@example.org", to="hd@sportello.example", subject="Sito lento",
          body="Il sito è lento da stamattina.", *, html=None, headers=None,
          attachments=(), message_id=None) -> EmailMessage:  # fmt: skip
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id or make_msgid(domain=sender.rsplit("@", 1)[-1])
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for name, content, mime in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def signed(message: EmailMessage, domain: str | None = None, selector="mail", *,
           headers=(b"from", b"to", b"subject", b"date", b"message-id", b"in-reply-to",
                    b"references"), length=False) -> bytes:  # fmt: skip
    domain = domain or message["From"].addresses[0].domain
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    pem, _record = key_pair(domain)
    signature = dkim.sign(raw, selector.encode(), domain.encode(), pem,
                          include_headers=list(headers), length=length)  # fmt: skip
    return signature + raw


class FakeDns(dict):
    """name → TXT records. `publish(domain)` adds its DKIM key (and DMARC if asked)."""

    def publish(self, domain, selector="mail", dmarc=True):
        self[f"{selector}._domainkey.{domain}"] = [key_pair(domain)[1]]
        if dmarc:
            self[f"_dmarc.{domain}"] = ["v=DMARC1; p=reject"]

    def __call__(self, name):
        return self.get(name.rstrip("."), [])


def delivery_report(original_headers: dict[str, str], *, action="failed",
                    recipient="owner@example.org", sender="MAILER-DAEMON@mx.example.org",
                    to="hd@sportello.example", message_id: str = "") -> bytes:  # fmt: skip
    """A delivery status notification (RFC 3464) about a message with these headers."""
    original = "".join(f"{name}: {value}\r\n" for name, value in original_headers.items())
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(timezone.now())}\r\n"
        f"Message-ID: {message_id or make_msgid(domain='mx.example.org')}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain\r\n\r\nMailbox full\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: {action}\r\nStatus: 5.2.2\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n{original}\r\n--B--\r\n"
    ).encode()
