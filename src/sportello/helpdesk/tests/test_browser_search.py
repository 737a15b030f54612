"""An agent searches tickets from the queue's header in headless Chromium and reads the
results with the matching words highlighted, on a wide screen and a phone. Screenshots
under artifacts/ (and SEARCH_SHOTS, when set)."""

import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sportello import browser as browser_fixtures
from sportello import testing
from sportello.desk.tests.test_browser_billing import staff_log_in
from sportello.helpdesk import actions
from sportello.helpdesk.models import Department
from sportello.portal.tests.test_browser_client_journey import path_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    browser_fixtures.shot(page, name)
    if folder := os.environ.get("SEARCH_SHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_an_agent_searches_from_the_queue(live_server, page):
    base = live_server.url
    staff = testing.make_staff(
        departments=[Department.objects.get(code="helpdesk")], email="carla@sportello.example"
    )
    client = testing.make_client("giulia@example.org", name="Giulia Bianchi")
    site = testing.make_service(client, name="giuliabianchi.it")
    first = testing.make_ticket(
        client, subject="Certificato SSL scaduto su giuliabianchi.it", service=site,
        body="Da stamattina il browser dice che il certificato non è più valido.",
    )  # fmt: skip
    second = testing.make_ticket(client, "email", subject="Posta lenta", service=site)
    actions.reply_as_client(
        second, client.owner, "Anche il certificato della posta sembra scaduto, perché?",
        timezone.now(),
    )  # fmt: skip

    staff_log_in(page, base, staff)
    page.goto(base + "/desk/tickets/")
    shot(page, "search-queue-header-1280")
    page.fill("#ticket-q", "certificato scaduto")
    with page.expect_navigation():
        page.press("#ticket-q", "Enter")
    assert path_of(page.url).startswith("/desk/tickets/search/")
    rows = page.locator("main table.ticket-results tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("main mark").first).to_be_visible()
    shot(page, "search-results-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "search-results-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.fill("#ticket-q", first.code)
    with page.expect_navigation():
        page.press("#ticket-q", "Enter")
    assert path_of(page.url) == f"/desk/tickets/{first.code}/"
