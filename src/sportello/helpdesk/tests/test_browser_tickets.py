"""The help desk in headless Chromium: a client opens a ticket with an attachment, staff
answer from the desk asking for more information, the client reads the answer in the
panel and in the mail. Screenshots under artifacts/."""

import pytest
from playwright.sync_api import expect

from sportello import browser as browser_fixtures
from sportello import testing
from sportello.desk.tests.test_browser_billing import staff_log_in
from sportello.helpdesk.models import Category, Ticket
from sportello.portal.tests.test_browser_client_journey import log_in, path_of

shot = browser_fixtures.shot
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_opens_a_ticket_staff_answer_client_reads_it(live_server, page, new_page, inbox):
    base = live_server.url
    client = testing.make_client("giulia@example.org", name="Giulia Bianchi")
    service = testing.make_service(client, name="giuliabianchi.it")
    helpdesk = Category.objects.get(code="hosting").department
    staff = testing.make_staff(departments=[helpdesk], email="carla@sportello.example")

    log_in(page, base, client.owner.email, testing.PASSWORD)
    page.click('header a[href="/panel/tickets/"]')
    page.click('main a[href="/panel/tickets/new/"]')
    page.select_option('select[name="category"]', label="Hosting e siti web")
    page.select_option('select[name="service"]', str(service.pk))
    page.fill('input[name="subject"]', "Aiuto")
    page.fill('textarea[name="description"]', "Il sito dà errore 500 da stamattina.")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    # A generic subject is refused with advice, and nothing typed is lost.
    expect(page.locator("main .has-error .error")).to_contain_text("oggetto generico")
    expect(page.locator('textarea[name="description"]')).to_have_value(
        "Il sito dà errore 500 da stamattina."
    )
    page.fill('input[name="subject"]', "Errore 500 su giuliabianchi.it dalle 9")
    page.set_input_files(
        'input[name="attachments"]',
        files=[{"name": "errore.txt", "mimeType": "text/plain", "buffer": b"HTTP 500"}],
    )
    shot(page, "helpdesk-01-client-new-ticket")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    ticket = Ticket.objects.get()
    assert path_of(page.url) == f"/panel/tickets/{ticket.code}/"
    expect(page.locator("main h1")).to_contain_text(ticket.code)
    expect(page.locator(".timeline .files a")).to_have_text("errore.txt")
    shot(page, "helpdesk-02-client-ticket")

    desk = new_page()
    staff_log_in(desk, base, staff)
    desk.click('header a[href="/desk/tickets/"]')
    expect(desk.locator("main table.table tbody tr")).to_have_count(1)
    shot(desk, "helpdesk-03-desk-queue")
    desk.click(f'main a[href="/desk/tickets/{ticket.code}/"] >> nth=0')
    desk.fill('#reply textarea[name="body"]', "Ci mandi l'ora esatta dell'ultimo errore?")
    desk.select_option('#reply select[name="then"]', "waiting")
    shot(desk, "helpdesk-04-desk-ticket")
    with desk.expect_navigation():
        desk.click("#reply button[type=submit]")
    expect(desk.locator(".messages .msg-success")).to_have_count(1)

    page.reload()
    expect(page.locator(".timeline .from-staff")).to_contain_text("l'ora esatta")
    expect(page.locator("main h1 .badge")).to_have_class("badge ticket-waiting")
    shot(page, "helpdesk-05-client-sees-the-answer")
    mails = inbox.wait_for(3)  # the client's copy, the department's alert, the answer
    answer = [m for m in mails if m["To"] == client.contact_email][-1]
    assert f"[{ticket.code}] Re:" in answer["Subject"]
    assert answer["In-Reply-To"] == ticket.thread_id()
