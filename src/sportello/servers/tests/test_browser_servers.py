"""In headless Chromium: the client fills the migration form and sees the timeline; staff
hand over the new server; the client turns monitoring on. Screenshots under artifacts/."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from sportello import testing
from sportello.browser import shot
from sportello.core.calendar import same_or_next_working_day
from sportello.desk.tests.test_browser_billing import staff_log_in
from sportello.portal.tests.test_browser_client_journey import log_in, path_of
from sportello.servers import actions
from sportello.servers.models import Migration, Monitor

from .conftest import make_server
from .test_monitoring import TcpServer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_sends_the_wishes_staff_hand_over_the_server_client_turns_monitoring_on(
    live_server, page, new_page
):
    base = live_server.url
    owner = testing.make_client("bianchi@example.org", name="Luca Bianchi")
    server = make_server(owner, "basic", ip="127.0.0.1", name="srv1.ferramentabianchi.example")
    switch_day = same_or_next_working_day(timezone.localdate() + timedelta(days=20))
    migration = actions.open_migration(
        server,
        timezone.make_aware(datetime.combine(switch_day, time(10, 0))),
        timezone.now(),
        reason="Hardware a fine vita",
    )

    log_in(page, base, owner.contact_email, testing.PASSWORD)
    page.goto(f"{base}/panel/services/{server.pk}/")
    shot(page, "servers-01-service")
    with page.expect_navigation():
        page.click(f'a[href="/panel/servers/{server.pk}/migration/"]')
    expect(page.locator(".timeline .step")).to_have_count(7)
    expect(page.locator('[data-step="wishes"]')).to_have_class("step step-current")
    expect(page.locator(".backup-advice")).to_be_visible()
    shot(page, "servers-02-migration-before")

    form = page.locator("#wishes form")
    form.locator('input[name="os_version"]').fill("Debian 12")
    form.locator('textarea[name="libraries"]').fill("PHP 8.3, MariaDB 10.11, Redis")
    form.locator('input[name="control_panel"]').fill("Plesk Obsidian")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator(".msg-success")).to_have_count(1)
    expect(page.locator('[data-step="wishes"]')).to_have_class("step step-done")
    expect(page.locator('[data-step="server"]')).to_have_class("step step-current")
    shot(page, "servers-03-migration-wishes-sent")
    migration.refresh_from_db()
    assert migration.state == Migration.State.WISHES_RECEIVED
    assert migration.libraries == "PHP 8.3, MariaDB 10.11, Redis"

    # Staff hand over the new server from the desk.
    staff_page = new_page()
    agent = testing.make_staff(departments=[testing.make_department()])
    staff_log_in(staff_page, base, agent)
    staff_page.goto(f"{base}/desk/clients/{owner.pk}/")
    with staff_page.expect_navigation():
        staff_page.click(f'a[href="/desk/servers/{server.pk}/"]')
    shot(staff_page, "servers-04-desk-server")
    staff_page.fill('input[name="name"]', "srv2.ferramentabianchi.example")
    staff_page.fill('input[name="temporary_ip"]', "198.51.100.7")
    with staff_page.expect_navigation():
        staff_page.click('input[value="new_server"] ~ .actions button')
    expect(staff_page.locator('[data-step="server"]')).to_have_class("step step-done")
    shot(staff_page, "servers-05-desk-server-ready")
    staff_page.goto(f"{base}/desk/servers/")
    expect(staff_page.locator("table").first).to_contain_text(server.name)
    shot(staff_page, "servers-06-desk-overview")

    page.reload()
    expect(page.locator('[data-step="migrate"]')).to_have_class("step step-current")
    expect(page.locator("main")).to_contain_text("198.51.100.7")
    shot(page, "servers-07-migration-server-ready")

    # Monitoring: a real port on loopback.
    tcp = TcpServer()
    try:
        page.goto(f"{base}/panel/servers/{server.pk}/monitoring/")
        page.select_option('select[name="kind"]', "tcp")
        page.fill('input[name="port"]', str(tcp.port))
        with page.expect_navigation():
            page.click(".monitor-form button[type=submit]")
        assert path_of(page.url) == f"/panel/servers/{server.pk}/monitoring/"
        monitor = Monitor.objects.get(server=server)
        from .test_monitoring import check_now

        for _ in range(3):
            check_now()
        page.reload()
        expect(
            page.locator(f'[data-monitor="{monitor.pk}"] .card-head .badge.monitor-up')
        ).to_have_count(1)
        expect(page.locator("svg.chart")).to_have_count(1)
        shot(page, "servers-08-monitoring")
    finally:
        tcp.stop()
