"""Every page of the client panel at phone width (390 px): nothing wider than the screen,
in each language. Tables fold into labelled cards and the header into a menu."""

import pytest
from django.conf import settings
from django.urls import reverse

from sportello.browser import shot
from sportello.conftest import SignInClient
from sportello.core.tests.pages import World, site_pages

PHONE = {"width": 390, "height": 844}
# Files, not pages.
NOT_HTML = {
    "portal:invoice_pdf", "portal:einvoice_xml", "portal:ticket_attachment", "portal:mail",
    "portal:privacy_download", "portal:invoices_zip", "portal:statement_csv",
    "portal:statement_pdf",
}  # fmt: skip


def panel_urls(world: World) -> list[tuple[str, str]]:
    arguments = world.path_arguments()
    return [
        (page.name, reverse(page.name, kwargs=arguments.get(page.name, {})))
        for page in site_pages()
        if page.area == "panel" and not page.post_only and page.name not in NOT_HTML
        and (not page.arguments or page.name in arguments)
    ]  # fmt: skip


def signed_in_context(browser, live_server, user, locale):
    """A browser context carrying the session of `user` (signed in as the login page would)."""
    client = SignInClient()
    client.force_login(user)
    context = browser.new_context(viewport=PHONE, locale=locale)
    context.set_default_timeout(10_000)
    context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])  # fmt: skip
    return context


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["it", "en", "es"])
def test_no_panel_page_is_wider_than_a_phone(live_server, browser, language):
    world = World()
    owner = world.client_a.owner
    owner.language = language
    owner.save(update_fields=["language"])
    context = signed_in_context(browser, live_server, owner, f"{language}-{language.upper()}")
    page = context.new_page()
    too_wide = []
    try:
        urls = panel_urls(world)
        assert len(urls) > 15, urls
        for name, path in urls:
            response = page.goto(live_server.url + path)
            assert response is not None, name
            assert response.status < 500, (name, response.status)
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > PHONE["width"]:
                too_wide.append(f"{name} ({path}): {width}px")
                shot(page, f"too-wide-{language}-{name.replace(':', '-')}")
        # The header's menu opens from its button.
        page.goto(live_server.url + reverse("portal:home"))
        assert not page.locator(".mainnav").is_visible()
        page.click(".menu-toggle")
        assert page.locator(".mainnav").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
    assert too_wide == [], "wider than 390 px:\n" + "\n".join(too_wide)


DESK = {"width": 1280, "height": 900}
DESK_PAGES = ["desk:tickets", "desk:ticket", "desk:home", "desk:client", "desk:invoices",
              "desk:invoice"]  # fmt: skip
# Entries of the bar that stick out of it or lie on top of one another.
CROWDED = """() => {
  const selector = ".topbar > *, .mainnav > a, .mainnav > details > summary";
  const items = [...document.querySelectorAll(selector)].filter((item) => item.offsetParent);
  const boxes = items.map((item) => [item, item.getBoundingClientRect()]);
  const bad = [];
  for (const [item, box] of boxes) {
    if (box.right > window.innerWidth + 0.5) bad.push("outside: " + item.textContent.trim());
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, p] = boxes[i], [b, q] = boxes[j];
      if (a.contains(b) || b.contains(a)) continue;
      const across = p.left < q.right - 0.5 && q.left < p.right - 0.5;
      const down = p.top < q.bottom - 0.5 && q.top < p.bottom - 0.5;
      if (across && down) {
        bad.push("overlap: " + a.textContent.trim().slice(0, 30) + " / " + b.textContent.trim());
      }
    }
  }
  return bad;
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["it", "en", "es"])
def test_the_desk_header_fits_a_1280_px_screen(live_server, browser, language):
    world = World()
    staff = world.admin  # the longest menu
    staff.language = language
    staff.save(update_fields=["language"])
    arguments = world.path_arguments()
    context = signed_in_context(browser, live_server, staff, f"{language}-{language.upper()}")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.set_viewport_size(DESK)
    problems = []
    try:
        for name in DESK_PAGES:
            response = page.goto(live_server.url + reverse(name, kwargs=arguments.get(name, {})))
            assert response is not None and response.status == 200, name
            width = page.evaluate("document.documentElement.scrollWidth")
            header = page.evaluate("document.querySelector('.topbar').offsetHeight")
            crowded = page.evaluate(CROWDED)
            # Two rows: the brand and the login, then the menu.
            if width > DESK["width"] or header > 100 or crowded:
                problems.append(f"{name}: {width}px wide, header {header}px, {crowded}")
                shot(page, f"desk-header-{language}-{name.replace(':', '-')}")
        # The secondary entries open from "More" and close again with Escape.
        more = page.locator(".navmore-list")
        assert not more.is_visible()
        page.click(".navmore > summary")
        assert more.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
        page.keyboard.press("Escape")
        assert not more.is_visible()
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
