"""Screenshots of the main pages of a running Sportello with the demo data.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000

Saves PNGs under artifacts/ (git-ignored) to look at after a change to the templates.
"""

import base64
import hashlib
import hmac
import struct
import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

PASSWORD = "sportello-demo"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
OUT = Path(__file__).resolve().parent.parent / "artifacts"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run"]


def totp_code() -> str:
    """RFC 6238 code of the demo secret for the current 30-second step."""
    if 30 - time.time() % 30 < 3:
        time.sleep(3)
    counter = struct.pack(">Q", int(time.time() // 30))
    digest = hmac.new(base64.b32decode(TOTP_SECRET), counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def log_in(page, base, email, staff=False):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    if staff:
        page.fill("input[name=code]", totp_code())
        page.click("main button[type=submit]")


def main(base: str) -> None:
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        pages = {
            "demo-client": ("info@ferramentabianchi.example", False, [
                ("dashboard", "/panel/"), ("service", "/panel/services/"),
                ("mail", "/panel/mail/"), ("profile", "/panel/settings/profile/"),
                ("contact", "/panel/settings/contact-address/"),
                ("tickets", "/panel/tickets/"), ("ticket", "/panel/tickets/#first"),
                ("ticket-new", "/panel/tickets/new/"),
            ]),
            "demo-mario": ("mario.rossi@example.it", False, [
                ("tickets", "/panel/tickets/"), ("ticket", "/panel/tickets/#first"),
            ]),
            "demo-web-tier": ("paola.verdi@example.it", False, [("dashboard", "/panel/")]),
            "demo-staff": ("admin@sportello.example", True, [
                ("clients", "/desk/"), ("client", "/desk/clients/2/"),
                ("audit", "/desk/audit/"), ("admin-products", "/admin/catalog/product/"),
                ("tickets", "/desk/tickets/"), ("ticket", "/desk/tickets/#first"),
            ]),
        }  # fmt: skip
        for prefix, (email, staff, urls) in pages.items():
            context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="it-IT")
            page = context.new_page()
            log_in(page, base, email, staff)
            for name, url in urls:
                if url == "/panel/services/":
                    page.goto(f"{base}/panel/")
                    page.click("table a >> nth=0")
                elif url.endswith("#first"):  # the first row of a list
                    page.goto(base + url.removesuffix("#first"))
                    page.click("table a >> nth=0")
                else:
                    page.goto(base + url)
                page.screenshot(path=OUT / f"{prefix}-{name}.png", full_page=True)
            context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
