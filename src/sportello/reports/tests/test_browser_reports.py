"""Two reports in headless Chromium, in Italian and Spanish, on a wide screen and on a
phone: the chart and the table are there, nothing is blocked by the content policy, and the
page does not scroll sideways at 390 px (the table scrolls inside its card). Screenshots go
to artifacts/ (and to $REPORT_SHOTS when set)."""

import os
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from sportello import browser as browser_fixtures
from sportello import testing
from sportello.accounts.models import User
from sportello.catalog.models import ProductType
from sportello.desk.tests.test_browser_billing import staff_log_in

from .conftest import document

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def some_books():
    today = timezone.localdate()
    a = testing.make_client("alfa@example.org", name="Alfa Costruzioni Srl")
    b = testing.make_client("beta@example.org", name="Beta Handels GmbH")
    kinds = [ProductType.HOSTING, ProductType.DOMAIN, ProductType.VPS, ProductType.PEC]
    services = [testing.make_service(a, testing.make_product(f"p-{k}", k)) for k in kinds]
    for months in range(12):
        day = today.replace(day=1) - relativedelta(months=months) + timedelta(days=4)
        for n, service in enumerate(services):
            net = D(40 + 13 * n + 7 * months) + D("0.50")
            document(a, day, [(net, D("22"), service)], status="paid")
        document(b, day, [(D("80.00"), D("19"), services[0])], country="DE",
                 status="open", due_on=day + timedelta(days=30))  # fmt: skip
    document(a, today - timedelta(days=20), [(D("35.00"), D("22"), services[0])],
             kind="credit_note")  # fmt: skip


@pytest.mark.parametrize("language", ["it", "es"])
def test_reports_on_a_wide_screen_and_a_phone(live_server, new_page, language):
    some_books()
    staff = testing.make_staff(User.Role.BILLING, email=f"conti-{language}@sportello.example")
    staff.language = language
    staff.save()
    page = new_page(locale={"it": "it-IT", "es": "es-ES"}[language])
    staff_log_in(page, live_server.url, staff)
    folder = os.environ.get("REPORT_SHOTS")
    for slug, query in [("revenue", ""), ("vat", "?period=year")]:
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"{live_server.url}/desk/reports/{slug}/{query}")
            assert page.locator("svg.chart").count() == 1
            assert page.locator(".report-table table tbody tr").count() >= 1
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{slug} at {width} px scrolls sideways by {overflow} px"
            name = f"reports-{slug}-{language}-{width}"
            path = browser_fixtures.shot(page, name)
            if folder:
                Path(folder).mkdir(parents=True, exist_ok=True)
                Path(folder, path.name).write_bytes(path.read_bytes())
