"""Outgoing mail over SMTP, DKIM-signed when the provider has a key (OPS-2)."""

import base64
import re
import secrets
import smtplib
from email.generator import BytesGenerator
from email.policy import Compat32
from functools import lru_cache
from io import BytesIO
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


# A header value that folding would write unchanged: printable ASCII words, one space
# apart, on a line within the limit.
_AS_IS = re.compile(r"[!-~]+(?: [!-~]+)*")


class _HeadersAsIs(Compat32):
    """The standard library's policy for Django's messages, except that a header needing
    no folding is written as it is, the same bytes: folding every header through
    `email.header.Header` was half the CPU of writing an email."""

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and len(name) + len(value) + 2 <= (self.max_line_length or 998)
            and _AS_IS.fullmatch(value)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


HEADERS_AS_IS = _HeadersAsIs()


class _Generator(BytesGenerator):
    @classmethod
    def _make_boundary(cls, text=None):
        """A random boundary not in the parts' text, found without compiling a regular
        expression for every boundary, which the standard library does."""
        while True:
            boundary = "=_" + secrets.token_hex(16)
            if text is None or boundary.encode() not in text:
                return boundary


def message_bytes(email_message) -> bytes:
    """The message as it goes on the wire (CRLF line ends), as Django writes it."""
    out = BytesIO()
    generator = _Generator(out, mangle_from_=False, policy=HEADERS_AS_IS)
    generator.flatten(email_message.message(), linesep="\r\n")
    return out.getvalue()


class SigningEmailBackend(smtp.EmailBackend):
    def _send(self, email_message):
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(a, encoding) for a in email_message.recipients()]
        raw = message_bytes(email_message)
        key = private_key()
        if key is not None:
            domain, selector = signing_domain()
            raw = dkim.sign(raw, selector.encode(), domain.encode(), key,
                            include_headers=SIGNED_HEADERS) + raw  # fmt: skip
        try:
            self.connection.sendmail(from_email, recipients, raw)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True
