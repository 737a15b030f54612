"""A stored message as staff read it in the quarantine: its sender and subject decoded, the
text as the ticket would show it, its attachments' names as sent (escaped), and the reason
in the staff member's language. A message held for being over the limits is not parsed
again here: its headers are shown as they came, cut short."""

import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser, BytesParser

from django.utils.translation import gettext_lazy as _

from .limits import MAX_ENCODED_WORDS_PER_HEADER
from .message import MESSAGE_POLICY, clean, read_body, split_reply

LIMIT_CODES = {"size", "headers", "header_length", "encoded_words", "parts", "time", "memory"}

REASONS = {
    "size": _("The message is larger than the largest email accepted."),
    "headers": _("The message has too many headers, or a header block too large to read."),
    "header_length": _("One of its headers is too long to read."),
    "encoded_words": _("Its headers hold too many encoded words to decode."),
    "parts": _("It has too many MIME parts."),
    "time": _("Reading it took too long: it was stopped."),
    "memory": _("Reading it needed too much memory: it was stopped."),
    "unreadable": _("The message cannot be read as an email."),
    "no_sender": _("It has no single valid sender (From) address."),
    "recipient": _("No department receives mail at its recipient address."),
    "authentication": _(
        "The sender is not authenticated: no DKIM signature of the sender's domain covers it "
        "(or the trusted mail server reported a failure), so anyone could have written it."
    ),
    "other_account": _("It names a ticket of another account."),
    "replay": _(
        "A message with the same Message-ID but another sender or text was received "
        "before: this one may be a replay."
    ),
    "error": _("Processing failed unexpectedly: it was kept so nothing is lost."),
}

SHORT = 300


def decoded(value: object, limit: int = SHORT) -> str:
    """A header value with its encoded words decoded, when there are few enough to decode
    cheaply; otherwise as it came. Cut to `limit` characters, control characters shown as
    escapes."""
    text = " ".join(str(value or "").split())[:4096]
    if 0 < text.count("=?") <= MAX_ENCODED_WORDS_PER_HEADER:
        try:
            text = str(make_header(decode_header(text)))
        except Exception:  # not valid encoded words: shown as written
            pass
    return visible(clean(text))[:limit]


def visible(text: str) -> str:
    """Control and format (bidi) characters written as escapes, so a name cannot hide
    what it is or reorder the page."""
    return "".join(
        c.encode("unicode_escape").decode("ascii")
        if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs", "Cn") and c not in "\n\t"
        else c
        for c in text
    )


@dataclass
class Reading:
    sender: str = ""
    subject: str = ""
    text: str = ""
    quoted: str = ""
    unreadable: str = ""
    attachments: list[str] = field(default_factory=list)
    parsed: bool = False


def read(raw: bytes, reason_code: str) -> Reading:
    reading = Reading()
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:262_144])
        reading.sender = decoded(headers.get("From", ""))
        reading.subject = decoded(headers.get("Subject", ""))
    except Exception:  # noqa: S110 (what cannot be read stays empty)
        pass
    if reason_code in LIMIT_CODES:
        return reading
    try:
        message = BytesParser(policy=MESSAGE_POLICY).parsebytes(raw)
        text, reading.unreadable = read_body(message)
        reading.text, reading.quoted = split_reply(text) if text else ("", "")
        reading.attachments = [
            visible(clean(part.get_filename() or "")) or "—" for part in message.iter_attachments()
        ]
        reading.parsed = True
    except Exception:  # noqa: S110 (the raw source is still there)
        pass
    return reading


def reason_text(reason_code: str) -> str:
    return str(REASONS.get(reason_code, ""))
