"""Every email template, in every language, with values holding an apostrophe, an
ampersand and an angle bracket: subjects and plain-text bodies carry them as written (no
HTML entities), HTML bodies escape them."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django import urls

from sportello.core.models import Provider
from sportello.mail.actions import render_email

HOSTILE = "Qz'ux & <b>Vw</b>"
ESCAPED = "Qz&#x27;ux &amp; &lt;b&gt;Vw&lt;/b&gt;"
ENTITIES = ("&#x27;", "&#39;", "&amp;", "&lt;", "&gt;", "&quot;")


class Hostile(str):
    """Any value a template reads: every attribute, key and item is the hostile text."""

    def __new__(cls):
        return super().__new__(cls, HOSTILE)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return typed(name)

    def __getitem__(self, key):  # templates try a key before an attribute
        return typed(key) if isinstance(key, str) else Hostile()

    def __iter__(self):
        return iter([Hostile()])

    def __call__(self, *args, **kwargs):
        return Hostile()


DATE = datetime(2026, 12, 8, 10, 30, tzinfo=UTC)
DATES = ("_at", "_on", "_due", "_until", "_since")


def typed(name: str):
    """Dates and numbers where templates format them; the hostile text everywhere else."""
    if name.startswith(("total", "net_", "amount")) or name.endswith(("_cap", "total")):
        return Decimal("1234.50")
    if name.endswith(DATES) or name in ("at", "date"):
        return DATE
    if name in ("days", "count", "deposit_percent", "limit_kb", "file_mb"):
        return 3
    return Hostile()


def email_templates() -> list[str]:
    """Every app's `templates/mail/<name>/subject.txt`."""
    package = Path(__file__).resolve().parents[2]
    return sorted({path.parent.name for path in package.glob("**/templates/mail/*/subject.txt")})


@pytest.fixture
def any_url(monkeypatch):
    # The url tag gets hostile arguments no URL pattern takes: the link is not the point.
    monkeypatch.setattr(urls, "reverse", lambda *args, **kwargs: "/x/")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["it", "en", "es"])
@pytest.mark.parametrize("template", email_templates())
def test_text_parts_carry_no_html_entities_and_html_escapes(template, language, any_url):
    provider = Provider.current()
    provider.name = "Bianchi & Figli"
    context = {name: typed(name) for name in (
        "client", "ticket", "message", "user", "staff", "invoice", "service", "services",
        "version", "intervention", "quote", "migration", "endpoint", "change", "dropped",
        "target", "held", "technician", "breakdown", "settings", "what", "why", "server",
        "domain", "notice", "renewal", "lines", "amount", "reason", "activation_url", "url",
        "limit_kb", "file_mb", "invitation_url", "days", "due", "news", "item", "step",
        "at", "effective_on", "lost_on",
    )}  # fmt: skip
    context.update({"provider": provider, "site_url": "https://x.example"})
    subject, text, html = render_email(template, context, language, provider)
    for part in (subject, text):
        assert not any(entity in part for entity in ENTITIES), (template, part[:500])
    assert subject.startswith("[Bianchi & Figli] ")
    if "Qz" in subject:
        assert HOSTILE in subject
    if "Qz" in text:
        assert HOSTILE in text
    if "Qz" in html:
        assert ESCAPED in html
    if template == "ticket_reply":  # the values do reach each part
        assert HOSTILE in subject and HOSTILE in text and ESCAPED in html
