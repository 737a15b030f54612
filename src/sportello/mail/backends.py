"""Outgoing mail over SMTP, DKIM-signed when the provider has a key (OPS-2)."""

import base64
import smtplib
from functools import lru_cache
from pathlib import Path

import dkim
from django.conf import settings
from django.core.mail.backends import smtp
from django.core.mail.message import sanitize_address

SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"in-reply-to",
                  b"references", b"reply-to", b"list-unsubscribe", b"list-unsubscribe-post",
                  b"content-type", b"mime-version"]  # fmt: skip


@lru_cache(maxsize=4)
def _read_key(path: str, mtime: float) -> bytes:
    return Path(path).read_bytes()


def private_key() -> bytes | None:
    path = Path(settings.DKIM_PRIVATE_KEY_FILE)
    if not path.is_file():
        return None
    return _read_key(str(path), path.stat().st_mtime)


def signing_domain() -> tuple[str, str]:
    from .models import MailSettings

    config = MailSettings.current()
    domain = config.dkim_domain or settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >")
    return domain, config.dkim_selector


def public_key_record() -> str | None:
    """The TXT record that publishes the key's public half."""
    from cryptography.hazmat.primitives import serialization

    pem = private_key()
    if pem is None:
        return None
    public = serialization.load_pem_private_key(pem, password=None).public_key()
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


class SigningEmailBackend(smtp.EmailBackend):
    def _send(self, email_message):
        key = private_key()
        if key is None:
            return super()._send(email_message)
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(a, encoding) for a in email_message.recipients()]
        raw = email_message.message().as_bytes(linesep="\r\n")
        domain, selector = signing_domain()
        signature = dkim.sign(raw, selector.encode(), domain.encode(), key,
                              include_headers=SIGNED_HEADERS)  # fmt: skip
        try:
            self.connection.sendmail(from_email, recipients, signature + raw)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
