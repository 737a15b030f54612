"""The desk in headless Chromium: a ticket past its first-answer time shows as overdue in
the queue and under the late filter; an agent closes several tickets at once after the
confirmation page; the service-levels page draws its charts. Screenshots under
artifacts/, at desktop and phone width."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sportello import browser as browser_fixtures
from sportello import testing
from sportello.desk.tests.test_browser_billing import staff_log_in
from sportello.helpdesk.models import Department, Ticket
from sportello.mail.models import OutboundEmail

shot = browser_fixtures.shot
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


def history(client, now):
    """Answered and closed tickets over the past weeks, so the charts have bars."""
    for week in range(10):
        for n in range(2):
            opened = now - timedelta(weeks=week, days=1, hours=n * 5)
            ticket = testing.make_ticket(client, subject=f"Richiesta {week}-{n} su posta")
            Ticket.objects.filter(pk=ticket.pk).update(
                created_at=opened, first_response_due=opened + timedelta(hours=4),
                resolution_due=opened + timedelta(hours=24),
                first_responded_at=opened + timedelta(hours=1 + (week + n) % 6),
                closed_at=opened + timedelta(hours=6 + 4 * ((week * 3 + n) % 7)),
                last_activity_at=opened + timedelta(hours=40), status="closed",
                satisfaction=1 + (week + n) % 3, rated_at=opened + timedelta(hours=41),
            )  # fmt: skip


def test_sla_breach_shows_in_the_queue_and_bulk_close_asks_first(live_server, page):
    base = live_server.url
    now = timezone.now()
    helpdesk = Department.objects.get(code="helpdesk")
    agent = testing.make_staff(departments=[helpdesk], email="carla@sportello.example")
    client = testing.make_client("giulia@example.org", name="Giulia Bianchi")
    breached = testing.make_ticket(client, subject="Posta ferma da stamattina")
    Ticket.objects.filter(pk=breached.pk).update(
        first_response_due=now - timedelta(hours=2), created_at=now - timedelta(hours=6)
    )
    soon = testing.make_ticket(client, subject="Certificato SSL in scadenza")
    Ticket.objects.filter(pk=soon.pk).update(first_response_due=now + timedelta(minutes=40))
    others = [testing.make_ticket(client, subject=f"Sito {n} lento") for n in range(3)]
    history(client, now)

    staff_log_in(page, base, agent)
    page.goto(f"{base}/desk/tickets/")
    row = page.locator(f"#row-{breached.code}")
    expect(row.locator(".sla-first .badge.late")).to_have_text("in ritardo")
    expect(page.locator(f"#row-{soon.code} .sla-first .badge.soon")).to_have_text("in scadenza")
    shot(page, "sla-01-queue")
    page.set_viewport_size(PHONE)
    shot(page, "sla-02-queue-phone")
    page.set_viewport_size(browser_fixtures.VIEWPORT)

    page.select_option("#f-due", "late")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    expect(page.locator(f"#row-{breached.code}")).to_be_visible()

    # Close the open ones: tick them all, then confirm.
    page.goto(f"{base}/desk/tickets/")
    expect(page.locator("table.queue tbody tr")).to_have_count(5)
    page.check("#pick-all")
    page.uncheck(f'#row-{soon.code} input[name="ticket"]')
    with page.expect_navigation():
        page.click('#bulk button[value="close"]')
    expect(page.locator(".bulk-confirm .question")).to_have_text(
        "Chiudere 4 ticket? I clienti ricevono l'avviso di chiusura."
    )
    shot(page, "sla-03-bulk-confirm")
    assert not Ticket.objects.filter(pk=breached.pk, status="closed").exists()
    with page.expect_navigation():
        page.click('.bulk-confirm button[name="confirm"]')
    expect(page.locator(".messages .msg-success")).to_have_text("4 ticket modificati.")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    closed = Ticket.objects.filter(pk__in=[breached.pk, *(t.pk for t in others)], status="closed")
    assert closed.count() == 4
    assert OutboundEmail.objects.filter(template="ticket_status").count() == 4

    page.click('header a[href="/desk/sla/"]')
    expect(page.locator("svg.sla-chart")).to_have_count(2)
    expect(page.locator("svg.sla-chart rect.bar").first).to_be_visible()
    shot(page, "sla-04-service-levels")
    page.set_viewport_size(PHONE)
    shot(page, "sla-05-service-levels-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
