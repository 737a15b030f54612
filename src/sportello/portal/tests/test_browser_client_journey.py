"""End-to-end journeys in headless Chromium against the live server.

Mail travels for real: the outbox row is committed, the (immediate) Huey task delivers it
over SMTP, and the loopback listener from the root conftest (`inbox`) receives it.
Translations may not be compiled, so we assert on structure, URLs, emails and <html lang>,
never on translated text.
"""

import re
from urllib.parse import urlsplit

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import expect

from sportello import testing
from sportello.accounts import actions
from sportello.accounts.models import Client, User
from sportello.browser import shot
from sportello.testing import totp_code

NEW_PASSWORD = "Another-strong-pass-73"


# --- helpers -----------------------------------------------------------------------------


def path_of(url: str) -> str:
    return urlsplit(url).path


def link_in(message, path_prefix: str) -> str:
    """The path (with query) of the first link in the mail's text that starts with `path_prefix`."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    for url in re.findall(r"https?://\S+", body):
        parts = urlsplit(url)
        if parts.path.startswith(path_prefix):
            return parts.path + (f"?{parts.query}" if parts.query else "")
    raise AssertionError(f"no link to {path_prefix} in mail:\n{body}")


def mail_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_lang(page) -> str:
    return page.locator("html").get_attribute("lang")


def expect_cookie_notice(page):
    notice = page.locator(".cookie-notice")
    expect(notice).to_be_visible()
    expect(notice.locator('a[href="/cookies/"]')).to_have_count(1)


def switch_language(page, code: str):
    """Use the header's language select; it submits itself on change."""
    with page.expect_navigation():
        page.select_option("#language-switch", code)
    page.wait_for_load_state()


def log_in(page, base_url: str, email: str, password: str):
    page.goto(f"{base_url}/accounts/login/")
    page.fill('input[name="login"]', email)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")


def confirm_password_if_asked(page, password: str, screenshot: str | None = None):
    """allauth asks for the password again before MFA changes (a fresh login does not count
    as a re-authentication); answer and let it resume where we were going."""
    if path_of(page.url) != "/accounts/reauthenticate/":
        return
    if screenshot:
        shot(page, screenshot)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():
        page.press('input[name="password"]', "Enter")


def submit_code(page, code: str):
    page.fill('input[name="code"]', code)
    with page.expect_navigation():
        page.press('input[name="code"]', "Enter")


# --- 1. the full client journey --------------------------------------------------------------


@pytest.mark.browser
def test_client_signs_up_confirms_turns_on_2fa_and_switches_to_spanish(live_server, page, inbox):
    base = live_server.url
    email = "nuova.cliente@example.org"

    # Signup, in Italian by default, with the cookie notice.
    page.goto(f"{base}/accounts/signup/")
    assert html_lang(page) == "it"
    expect_cookie_notice(page)
    form = page.locator("main form.form")  # the header has its own language select
    form.locator('input[name="name"]').fill("Nuova Cliente")
    form.locator(f'input[name="kind"][value="{Client.Kind.PERSON}"]').check()
    form.locator('input[name="email"]').fill(email)
    form.locator('input[name="password1"]').fill(testing.PASSWORD)
    form.locator('input[name="password2"]').fill(testing.PASSWORD)
    form.locator('input[name="fiscal_code"]').fill("RSSMRA85T10A562S")
    form.locator('input[name="address"]').fill("Via Roma 1")
    form.locator('input[name="postcode"]').fill("00184")
    form.locator('input[name="city"]').fill("Roma")
    form.locator('input[name="accept_terms"]').check()
    form.locator('input[name="accept_privacy"]').check()
    # Signup defaults follow the page: Italian, Italy.
    expect(form.locator('select[name="language"]')).to_have_value("it")
    expect(form.locator('select[name="country"]')).to_have_value("IT")
    shot(page, "01-signup")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    # "We sent you a mail" page; the verification mail reaches the SMTP listener.
    assert path_of(page.url) == "/accounts/confirm-email/"
    shot(page, "02-verification-sent")
    inbox.wait_for(1)
    [message] = inbox.to(email)
    assert message["Subject"].strip().startswith("[Sportello Hosting] ")
    confirm_path = link_in(message, "/accounts/confirm-email/")
    assert re.fullmatch(r"/accounts/confirm-email/[^/]+/", confirm_path)

    user = User.objects.get(email=email)
    assert user.language == "it"
    assert user.client.name == "Nuova Cliente"
    assert not user.emailaddress_set.get(email=email).verified

    # Confirm the address.
    page.goto(f"{base}{confirm_path}")
    shot(page, "03-confirm")
    with page.expect_navigation():
        page.locator("main form[method=post] button[type=submit]").first.click()
    assert user.emailaddress_set.get(email=email).verified
    # Confirming sends the welcome mail, to the same address.
    inbox.wait_for(2)
    assert len(inbox.to(email)) == 2
    # No auto-login on confirmation: we are sent to the login page.
    assert path_of(page.url) == "/accounts/login/"

    # Log in with email and password.
    page.goto(f"{base}/accounts/login/")
    assert html_lang(page) == "it"
    expect_cookie_notice(page)
    shot(page, "04-login")
    log_in(page, base, email, testing.PASSWORD)
    assert path_of(page.url) == "/panel/"

    # Turn on two-factor login: read the secret off the activation page, answer with a code.
    page.goto(f"{base}/accounts/2fa/")
    expect(page.locator('a[href="/accounts/2fa/totp/activate/"]')).to_have_count(1)
    page.goto(f"{base}/accounts/2fa/totp/activate/")
    confirm_password_if_asked(page, testing.PASSWORD, "05a-reauthenticate")
    assert path_of(page.url) == "/accounts/2fa/totp/activate/"
    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}=*", secret), secret
    shot(page, "05-totp-activate")
    submit_code(page, totp_code(secret))
    # allauth shows the freshly generated recovery codes next.
    assert path_of(page.url).startswith("/accounts/2fa/"), page.url
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    page.goto(f"{base}/accounts/2fa/")
    expect(page.locator('a[href="/accounts/2fa/totp/deactivate/"]')).to_have_count(1)
    expect(page.locator('a[href="/accounts/2fa/totp/activate/"]')).to_have_count(0)
    shot(page, "06-mfa-index")

    # Switch to Spanish with the header select; the profile remembers it.
    expect(page.locator("#language-switch")).to_have_value("it")
    switch_language(page, "es")
    user.refresh_from_db()
    assert user.language == "es"

    page.goto(f"{base}/panel/")
    assert path_of(page.url) == "/panel/"
    assert html_lang(page) == "es"
    expect(page.locator("#language-switch")).to_have_value("es")
    expect(page.locator("header .who")).to_have_text(email)
    shot(page, "07-dashboard-es")


# --- 2. password reset ------------------------------------------------------------------------


@pytest.mark.browser
def test_password_reset_link_works_once(live_server, page, new_page, inbox):
    base = live_server.url
    client = testing.make_client("reset.me@example.org", name="Rita Reset")
    email = client.owner.email

    page.goto(f"{base}/accounts/login/")
    page.click('a[href="/accounts/password/reset/"]')
    page.wait_for_load_state()
    assert path_of(page.url) == "/accounts/password/reset/"
    expect_cookie_notice(page)
    page.fill('input[name="email"]', email)
    shot(page, "reset-01-request")
    with page.expect_navigation():
        page.press('input[name="email"]', "Enter")
    assert path_of(page.url) == "/accounts/password/reset/done/"
    shot(page, "reset-02-sent")

    inbox.wait_for(1)
    [message] = inbox.to(email)
    body = mail_text(message)
    assert testing.PASSWORD not in body
    assert (
        "password" not in message["Subject"].lower() or testing.PASSWORD not in message["Subject"]
    )
    reset_path = link_in(message, "/accounts/password/reset/key/")

    # The link opens the "choose a new password" form.
    page.goto(f"{base}{reset_path}")
    expect(page.locator('input[name="password1"]')).to_be_visible()
    page.fill('input[name="password1"]', NEW_PASSWORD)
    page.fill('input[name="password2"]', NEW_PASSWORD)
    shot(page, "reset-03-new-password")
    with page.expect_navigation():
        page.click('button[type=submit][name="action"]')
    assert path_of(page.url) == "/accounts/password/reset/key/done/"
    shot(page, "reset-04-done")

    client.owner.refresh_from_db()
    assert client.owner.check_password(NEW_PASSWORD)
    assert not client.owner.check_password(testing.PASSWORD)

    # The new password logs in.
    log_in(page, base, email, NEW_PASSWORD)
    assert path_of(page.url) == "/panel/"

    # The same link a second time is refused: no form, a link to ask for a new one.
    page.goto(f"{base}{reset_path}")
    expect(page.locator('input[name="password1"]')).to_have_count(0)
    expect(page.locator('main a[href="/accounts/password/reset/"]')).to_have_count(1)
    shot(page, "reset-05-link-used")

    # Also in a browser that never saw it (nothing left in a session to lean on).
    other = new_page()
    other.goto(f"{base}{reset_path}")
    expect(other.locator('input[name="password1"]')).to_have_count(0)
    expect(other.locator('main a[href="/accounts/password/reset/"]')).to_have_count(1)


# --- 3. staff login ---------------------------------------------------------------------------


@pytest.mark.browser
def test_staff_logs_in_with_password_and_totp_and_reaches_desk(live_server, page):
    base = live_server.url
    staff = testing.make_staff(totp=True, email="agente@sportello.example")
    testing.make_client("primo@example.org", name="Primo Cliente")
    testing.make_client("secondo@example.org", name="Seconda Cliente")

    log_in(page, base, staff.email, testing.PASSWORD)
    assert path_of(page.url) == "/accounts/2fa/authenticate/"
    shot(page, "staff-01-authenticate")
    submit_code(page, totp_code(testing.TOTP_SECRET))

    assert path_of(page.url) == "/desk/tickets/"  # an agent starts on the tickets queue
    page.goto(f"{base}/desk/")
    rows = page.locator("table.table tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("table.table")).to_contain_text("primo@example.org")
    expect(page.locator("table.table")).to_contain_text("secondo@example.org")
    expect(page.locator("header .who")).to_have_text(staff.email)
    shot(page, "staff-02-desk-client-list")


@pytest.mark.browser
def test_staff_without_totp_is_refused_and_enrols_through_the_invitation(live_server, page, inbox):
    base = live_server.url
    staff = testing.make_staff(totp=False, email="senza2fa@sportello.example")

    # A password alone opens nothing, and there is no way to pair an app from here.
    log_in(page, base, staff.email, testing.PASSWORD)
    assert path_of(page.url) == "/accounts/login/"
    expect(page.locator(".messages .msg-error")).to_have_count(1)
    page.goto(f"{base}/desk/")
    assert path_of(page.url) == "/accounts/login/"

    actions.invite_staff(staff)
    link = link_in(inbox.wait_for(1)[0], "/accounts/staff/enrol/")
    page.goto(f"{base}{link}")
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("code").inner_text()
    page.fill('input[name="password1"]', NEW_PASSWORD)
    page.fill('input[name="password2"]', NEW_PASSWORD)
    page.fill('input[name="code"]', totp_code(secret))
    shot(page, "staff-03-enrol")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert path_of(page.url) == "/desk/"
    expect(page.locator("header .who")).to_have_text(staff.email)
    shot(page, "staff-04-enrolled")


# --- 4. language switch before login ----------------------------------------------------------


@pytest.mark.browser
def test_login_page_language_switch(live_server, page, new_page):
    base = live_server.url

    page.goto(f"{base}/accounts/login/")
    assert html_lang(page) == "it"
    expect(page.locator("#language-switch")).to_have_value("it")

    switch_language(page, "en")
    assert path_of(page.url) == "/accounts/login/"
    assert html_lang(page) == "en"
    expect(page.locator("#language-switch")).to_have_value("en")
    expect_cookie_notice(page)
    shot(page, "lang-01-login-en")

    switch_language(page, "es")
    assert path_of(page.url) == "/accounts/login/"
    assert html_lang(page) == "es"
    expect(page.locator("#language-switch")).to_have_value("es")
    shot(page, "lang-02-login-es")

    # The choice sticks to the browser (cookie), across pages.
    page.goto(f"{base}/accounts/signup/")
    assert html_lang(page) == "es"

    # A browser asking for a language we don't offer gets Italian, the default.
    other = new_page(locale="de-DE")
    other.goto(f"{base}/accounts/login/")
    assert html_lang(other) == "it"
    expect(other.locator("#language-switch")).to_have_value("it")


# --- 5. the pages are styled ------------------------------------------------------------------


@pytest.mark.browser
def test_pages_load_their_stylesheet(live_server, page):
    stylesheet = f"{live_server.url}/static/sportello/sportello.css"
    with page.expect_response(stylesheet) as css:
        page.goto(f"{live_server.url}/accounts/login/")
    assert css.value.status == 200
    assert css.value.headers["content-type"].startswith("text/css")
    # The header is laid out by the stylesheet: a flex bar, language label hidden.
    assert page.locator("header.topbar").evaluate("e => getComputedStyle(e).display") == "flex"
    expect(page.locator('label[for="language-switch"]')).to_have_css("width", "1px")
