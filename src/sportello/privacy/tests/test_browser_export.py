"""In headless Chromium: the client asks for a copy of their data, the worker prepares it,
the email's link leads to the download, and the archive is opened and checked."""

import io
import json
import re
import zipfile
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from sportello import testing
from sportello.billing import actions as billing
from sportello.browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_client_downloads_all_their_data(live_server, page, inbox, tmp_path, settings):
    settings.DATA_DIR = tmp_path
    base = live_server.url
    owner = testing.make_client("lucia@example.es", name="Lucía García", language="es")
    invoice = billing.create_invoice(
        owner, [billing.Line("Hosting", Decimal("100.00"))], timezone.now(), send=False
    )
    ticket = testing.make_ticket(
        owner, attachments=[SimpleUploadedFile("error.log", b"500 Internal Server Error")]
    )

    page.goto(f"{base}/accounts/login/")
    page.fill('input[name="login"]', owner.contact_email)
    page.fill('input[name="password"]', testing.PASSWORD)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    page.goto(f"{base}/panel/settings/privacy/")
    shot(page, "privacy-01-page")
    with page.expect_navigation():
        page.click("#export form button[type=submit]")
    expect(page.locator(".msg-success")).to_have_count(1)

    # The worker prepared the archive and mailed the link to the client's page.
    message = inbox.wait_for(1)[-1]
    assert message["To"] == owner.contact_email
    body = message.get_body(("plain",)).get_content()
    link = next(u for u in re.findall(r"https?://\S+", body) if "/settings/privacy/" in u)
    page.goto(base + urlsplit(link).path)
    shot(page, "privacy-02-ready")
    with page.expect_download() as download_info:
        page.click('a[href*="/download/"]')
    path = tmp_path / "downloaded.zip"
    download_info.value.save_as(path)

    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    names = set(archive.namelist())
    assert {"README.txt", "profile.json", "consents.json", "services.json", "invoices.json",
            "payments.json", "emails.json", "login_history.json"} <= names  # fmt: skip
    profile = json.loads(archive.read("profile.json"))
    assert profile["name"] == "Lucía García" and profile["email"] == "lucia@example.es"
    [row] = json.loads(archive.read("invoices.json"))
    assert row["number"] == invoice.display_number and archive.read(row["pdf"])[:4] == b"%PDF"
    ticket_json = json.loads(archive.read(f"tickets/{ticket.code}/ticket.json"))
    [file_path] = ticket_json["messages"][0]["files"]
    assert archive.read(file_path) == b"500 Internal Server Error"
    history = json.loads(archive.read("login_history.json"))
    assert any(event["ip"] == "127.0.0.1" for event in history)
