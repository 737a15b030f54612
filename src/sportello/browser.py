"""Browser test fixtures: one headless Chromium per test session, a fresh context per test.

Registered as fixtures by the root conftest; tests import `shot` from here."""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; without this, Django refuses
# ORM calls made from the test body ("You cannot call this from an async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "artifacts"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 900}
# The provider's audience is Italian; a browser asking for Italian sees Italian.
DEFAULT_LOCALE = "it-IT"
TIMEOUT_MS = 10_000
# Each page reports what its Content-Security-Policy blocked on the console, where the
# fixture collects it: a test fails when anything was blocked.
CSP_VIOLATION = "Content-Security-Policy violation:"
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("Content-Security-Policy violation: " + event.effectiveDirective + " blocked "
                + (event.blockedURI || "inline") + " at " + event.sourceFile
                + ":" + event.lineNumber);
}, true);
"""
# The violations each browser context reported, by context.
_csp_violations: dict[object, list[str]] = {}


def csp_violations(page) -> list[str]:
    """What the policy blocked so far in the page's browser context."""
    return list(_csp_violations.get(page.context, []))


def shot(page, name: str) -> Path:
    """A full-page screenshot at <repo>/artifacts/<name>.png (the folder is git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh browser context (own cookies); all are closed after the test."""
    contexts = []

    def open_page(locale: str = DEFAULT_LOCALE):
        context = browser.new_context(viewport=VIEWPORT, locale=locale)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        violations = _csp_violations[context] = []

        def note_violation(message):
            # Chromium also logs its own line for each block; either one counts.
            if message.text.startswith(CSP_VIOLATION) or "Content Security Policy" in message.text:
                violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", note_violation)
        contexts.append(context)
        return context.new_page()

    yield open_page
    blocked = []
    for context in contexts:
        context.close()
        blocked += _csp_violations.pop(context)
    assert blocked == [], "the Content-Security-Policy blocked:\n" + "\n".join(blocked)


@pytest.fixture
def page(new_page):
    return new_page()
