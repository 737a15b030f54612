"""The ticket page in headless Chromium for a working day: a canned reply goes in at the
cursor and the draft survives a reload; the keyboard shortcuts and their list; a ticket
open in two browsers shows one agent's answer to the other without a reload.
Screenshots under artifacts/, at desktop and phone width."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sportello import browser as browser_fixtures
from sportello import testing
from sportello.desk.tests.test_browser_billing import staff_log_in
from sportello.helpdesk.models import CannedReply, Category, ReplyDraft, Ticket
from sportello.portal.tests.test_browser_client_journey import path_of

shot = browser_fixtures.shot
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}
LIVE_TIMEOUT_MS = 20_000  # the page asks every 10 seconds


def test_canned_reply_at_the_cursor_keeps_the_draft_and_shortcuts_work(live_server, page):
    base = live_server.url
    client = testing.make_client("giulia@example.org", name="Giulia Bianchi")
    helpdesk = Category.objects.get(code="hosting").department
    agent = testing.make_staff(departments=[helpdesk], email="carla@sportello.example")
    first = testing.make_ticket(client, subject="Sito lento")
    second = testing.make_ticket(client, subject="Posta non arriva")
    now = timezone.now()
    Ticket.objects.filter(pk=first.pk).update(resolution_due=now + timedelta(hours=1))
    Ticket.objects.filter(pk=second.pk).update(resolution_due=now + timedelta(hours=2))
    CannedReply.objects.create(
        title="Riavvio del servizio", language="it",
        body="abbiamo riavviato il servizio del ticket {code}, {client}.",
    )  # fmt: skip
    CannedReply.objects.create(title="Rimborso", language="it", body="Il rimborso è in corso.")

    staff_log_in(page, base, agent)
    page.goto(f"{base}/desk/tickets/{first.code}/")
    box = page.locator('#reply textarea[name="body"]')
    box.fill("Buongiorno,\n\nCordiali saluti")
    # The cursor after the greeting: the canned reply goes there, the rest stays.
    box.evaluate("(area) => { area.selectionStart = area.selectionEnd = 13; }")
    page.click(".canned-toggle")
    expect(page.locator(".canned-panel")).to_be_visible()
    page.fill("#canned-search", "riavv")
    expect(page.locator(".canned-list li:visible")).to_have_count(1)
    shot(page, "desk-workday-01-canned-picker")
    page.set_viewport_size(PHONE)
    shot(page, "desk-workday-01-canned-picker-phone")
    page.set_viewport_size(browser_fixtures.VIEWPORT)
    page.click(".canned-list li:visible button")
    filled = f"abbiamo riavviato il servizio del ticket {first.code}, Giulia Bianchi."
    expect(box).to_have_value(f"Buongiorno,\n\n{filled}Cordiali saluti")
    expect(page.locator(".canned-panel")).to_be_hidden()
    # Saved a few seconds after the change, and there again after a reload.
    expect(page.locator(".draft-status")).to_contain_text("Bozza salvata")
    page.reload()
    expect(box).to_have_value(f"Buongiorno,\n\n{filled}Cordiali saluti")
    expect(page.locator(".draft-status")).to_contain_text("ripristinata")
    assert ReplyDraft.objects.get(agent=agent).ticket_id == first.pk

    # Typed in a field, a letter is a letter.
    box.focus()
    page.keyboard.press("End")
    page.keyboard.type(" j")
    assert path_of(page.url) == f"/desk/tickets/{first.code}/"
    # Out of the field: "?" lists the shortcuts, "r" goes to the reply box, "j" to the next
    # ticket of the queue.
    page.locator("main h1").click()
    page.keyboard.press("?")
    dialog = page.locator("dialog#shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Ticket successivo della coda")
    shot(page, "desk-workday-02-shortcuts")
    page.set_viewport_size(PHONE)
    shot(page, "desk-workday-02-shortcuts-phone")
    page.set_viewport_size(browser_fixtures.VIEWPORT)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("r")
    expect(box).to_be_focused()
    page.locator("main h1").click()
    with page.expect_navigation():
        page.keyboard.press("j")
    assert path_of(page.url) == f"/desk/tickets/{second.code}/"
    page.locator("main h1").click()
    with page.expect_navigation():
        page.keyboard.press("c")  # close: asked first
    expect(page.locator(".confirm-step h1")).to_contain_text(second.code)
    shot(page, "desk-workday-03-close-confirmation")
    assert Ticket.objects.get(pk=second.pk).status != "closed"


def test_an_answer_shows_on_a_colleagues_open_ticket_without_reload(live_server, new_page):
    base = live_server.url
    client = testing.make_client("giulia@example.org", name="Giulia Bianchi")
    helpdesk = Category.objects.get(code="hosting").department
    anna = testing.make_staff(departments=[helpdesk], email="anna@sportello.example")
    bruno = testing.make_staff(departments=[helpdesk], email="bruno@sportello.example")
    ticket = testing.make_ticket(client, subject="Certificato scaduto")
    url = f"{base}/desk/tickets/{ticket.code}/"

    first, second = new_page(), new_page()
    staff_log_in(first, base, anna)
    staff_log_in(second, base, bruno)
    first.goto(url)
    second.goto(url)
    second.fill('#reply textarea[name="body"]', "Bozza di Bruno, non ancora inviata")

    first.fill('#reply textarea[name="body"]', "Rinnovato il certificato, ora è valido.")
    with first.expect_navigation():
        first.click("#reply button[type=submit]")
    expect(first.locator(".messages .msg-success")).to_have_count(1)

    banner = second.locator("#live-banner")
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    expect(second.locator("#timeline .from-staff.live-new")).to_contain_text(
        "Rinnovato il certificato"
    )
    expect(second.locator('#reply textarea[name="body"]')).to_have_value(
        "Bozza di Bruno, non ancora inviata"
    )
    # The status the answer left shows on the colleague's page too, not the one it opened with.
    status_now = first.locator("#ticket-badges .badge").first.inner_text()
    expect(second.locator("#ticket-badges .badge").first).to_have_text(status_now)
    assert status_now != "Nuovo"
    shot(second, "desk-workday-04-live-update")
