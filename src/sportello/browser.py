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
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
