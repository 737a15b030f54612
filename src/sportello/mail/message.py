"""Reading an inbound message: its sender, its text without quotes and signature, and the
flags that say no automatic answer may go to it. Nothing here is rendered as HTML."""

import html
import re
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.utils import getaddresses
from functools import lru_cache

import nh3
from django.conf import settings as django_settings


class ParsedHeaders(HeaderRegistry):
    """`policy.default` parses a header again at each read, and a message's headers are read
    many times over (Content-Type alone about ten); the same name and value give the same
    immutable header object, so it is parsed once. Long values (rare, and possibly hostile)
    are not kept, so the memory held stays small."""

    def __call__(self, name, value):
        if len(value) > 2000:
            return super().__call__(name, value)
        return self._parsed(name, value)

    @lru_cache(maxsize=1024)  # noqa: B019 (one registry for the process: nothing leaks)
    def _parsed(self, name, value):
        return super().__call__(name, value)


MESSAGE_POLICY = policy.default.clone(header_factory=ParsedHeaders())


def clean(text) -> str:
    """Text any database column takes: no NUL, no undecodable surrogates."""
    return str(text).encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def from_address(message) -> str | None:
    """The one address in From — never Reply-To or Sender (HD-7)."""
    values = message.get_all("From", [])
    if len(values) != 1:
        return None
    addresses = [a for _name, a in getaddresses([str(values[0])]) if a]
    if len(addresses) != 1:
        return None
    try:
        address = Address(addr_spec=addresses[0])
    except (ValueError, IndexError, TypeError):
        return None
    if not address.username or "." not in address.domain:
        return None
    return f"{address.username}@{address.domain}".lower()


def own_addresses() -> set[str]:
    """The addresses Sportello itself sends from."""
    return {a.lower() for _n, a in getaddresses([django_settings.DEFAULT_FROM_EMAIL])}


def is_automatic(message, envelope_from: str) -> bool:
    """Mail no automatic answer may go to: auto-replies, lists, bulk, bounces (loops)."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (
        (auto and not auto.startswith("no"))
        or precedence in ("bulk", "junk", "list")
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
        or message.get("List-Id") is not None
        or envelope_from.strip() == "<>"  # a null sender: bounces and other reports
        or str(message.get("Return-Path", "")).strip() == "<>"
        or "mailer-daemon" in str(message.get("From", "")).lower()
    )


def is_delivery_report(message) -> bool:
    return (
        message.get_content_type() == "multipart/report"
        and message.get_param("report-type", "").lower() == "delivery-status"
    )


def part_text(part) -> str:
    try:
        return part.get_content()
    except (LookupError, UnicodeError, AssertionError, ValueError):
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace")


def html_to_text(markup: str) -> str:
    """Sanitised with nh3 down to text: nothing from outside is ever rendered as HTML."""
    markup = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>|</tr>", "\n", markup)
    text = html.unescape(nh3.clean(markup, tags=set()))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def message_text(message) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    text = part_text(body)
    if body.get_content_type() == "text/html":
        text = html_to_text(text)
    return clean(text).replace("\r\n", "\n").strip()


def split_reply(text: str) -> tuple[str, str]:
    """The new text, and the quoted text and signature to fold away."""
    from mailparser_reply import EmailReplyParser

    try:
        replies = EmailReplyParser(languages=["it", "en", "es"]).read(text).replies
    except Exception:  # the parser is a convenience: on any trouble, keep everything
        return text, ""
    new = replies[0].body.strip() if replies else ""
    if not new:
        return text, ""
    start = text.find(new)
    rest = text[start + len(new) :] if start >= 0 else ""
    return new, rest.strip()
