"""Outgoing messages are written by `backends.message_bytes`, which skips folding for
headers that need none and finds boundaries without regular expressions: the bytes must
be the standard library's (through Django), boundaries aside."""

import re
from email import message_from_bytes
from email.policy import compat32

from django.core.mail import EmailMultiAlternatives
from hypothesis import given, settings
from hypothesis import strategies as st

from sportello.mail.backends import HEADERS_AS_IS, message_bytes

NAMES = ["Subject", "From", "To", "Message-ID", "References", "X-Un-Nome-Di-Intestazione-Lungo"]
# Words and the spaces between them: ASCII, tabs, several spaces, other scripts.
TEXT = st.text(alphabet=st.sampled_from(list("ab=?;<>@.\"' \t\r\néж中😀")), max_size=140)


@settings(max_examples=3000, deadline=None)
@given(name=st.sampled_from(NAMES), value=TEXT)
def test_a_header_is_written_as_the_standard_library_writes_it(name, value):
    assert HEADERS_AS_IS.fold_binary(name, value) == compat32.fold_binary(name, value)


@given(
    name=st.sampled_from(NAMES),
    words=st.lists(st.from_regex(r"[!-~]{1,30}", fullmatch=True), max_size=8),
)
@settings(max_examples=2000, deadline=None)
def test_printable_words_are_written_as_the_standard_library_writes_them(name, words):
    value = " ".join(words)
    assert HEADERS_AS_IS.fold_binary(name, value) == compat32.fold_binary(name, value)


def _without_boundaries(raw: bytes) -> bytes:
    boundaries = re.findall(rb'boundary="([^"]+)"', raw)
    for number, boundary in enumerate(boundaries):
        raw = raw.replace(boundary, b"BOUNDARY-%d" % number)
    return raw


def test_a_whole_message_is_the_bytes_django_writes():
    for subject, html, attachment in [
        ("Ticket ABC-123 aperto", "", None),
        ("Richiesta ricevuta: il sito è lento — ticket n° 42 " * 3, "<p>Ciao è</p>", None),
        ("Factura", "<p>Hola</p>", ("factura.pdf", b"%PDF-1.4 \x00\xff", "application/pdf")),
    ]:
        message = EmailMultiAlternatives(
            subject=subject,
            body="Buongiorno,\nil ticket è aperto.\n\n-- \nSportello\n" + "riga lunga " * 20,
            from_email="bounce+42@sportello.example",
            to=["mario.rossi@example.it"],
            headers={
                "Message-ID": "<42.abc@sportello.example>",
                "Reply-To": "hd@sportello.example",
                "Date": "Mon, 07 Dec 2026 03:00:00 +0000",
            },  # fmt: skip
        )
        if html:
            message.attach_alternative(html, "text/html")
        if attachment:
            message.attach(*attachment)
        ours = message_bytes(message)
        theirs = message.message().as_bytes(linesep="\r\n")
        assert _without_boundaries(ours) == _without_boundaries(theirs)
        parsed = message_from_bytes(ours)
        texts = [part.get_payload(decode=True) for part in parsed.walk() if not part.is_multipart()]
        assert texts[0].decode().replace("\r\n", "\n") == message.body
        assert len(texts) == 1 + bool(html) + bool(attachment)
