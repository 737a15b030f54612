"""What a security review asked for: HTTPS hardening switched on from the environment, a
secret key that DEBUG never replaces, a Content-Security-Policy every page obeys, and a data
directory only its owner can read."""

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

import sportello
from sportello.helpdesk.models import Attachment
from sportello.testing import make_ticket

# Variables that would change what a fresh process builds; each test sets its own.
OWN_VARIABLES = {
    "HTTPS", "HSTS_INCLUDE_SUBDOMAINS", "SECURE_COOKIES", "DEBUG", "SECRET_KEY", "TESTING",
    "DATABASE_URL", "SQLITE_PATH", "REDIS_URL", "MEDIA_ROOT", "STATIC_ROOT",
    "MFA_ENCRYPTION_KEYS", "DJANGO_SETTINGS_MODULE", "SPORTELLO_ATTACHMENTS_DIR",
}  # fmt: skip
HARDENING = [
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_PROXY_SSL_HEADER",
    "SECRET_KEY",
]


def fresh_env(data_dir: Path, **variables) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in OWN_VARIABLES}
    return {**env, "SPORTELLO_DATA_DIR": str(data_dir), **variables}


def settings_built_with(data_dir: Path, **variables) -> dict:
    """The settings a new process builds from this environment."""
    names = json.dumps(HARDENING)
    code = (
        "import json, sportello.settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=fresh_env(data_dir, **variables),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- HTTPS=1 -----------------------------------------------------------------------------


def test_https_turns_on_redirect_hsts_secure_cookies_and_the_proxy_header(tmp_path):
    built = settings_built_with(tmp_path, HTTPS="1")
    assert built["SECURE_SSL_REDIRECT"] is True
    assert built["SECURE_HSTS_SECONDS"] == 365 * 24 * 60 * 60
    assert built["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert built["SESSION_COOKIE_SECURE"] is True
    assert built["CSRF_COOKIE_SECURE"] is True
    assert built["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_without_https_none_of_it_is_on(tmp_path):
    built = settings_built_with(tmp_path)
    assert built["SECURE_SSL_REDIRECT"] is False
    assert built["SECURE_HSTS_SECONDS"] == 0
    assert built["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert built["SESSION_COOKIE_SECURE"] is False
    assert built["CSRF_COOKIE_SECURE"] is False
    # Without a proxy that sets it, X-Forwarded-Proto from a client must not be believed.
    assert built["SECURE_PROXY_SSL_HEADER"] is None


def test_hsts_covers_subdomains_only_when_asked(tmp_path):
    assert settings_built_with(tmp_path, HTTPS="1", HSTS_INCLUDE_SUBDOMAINS="1")[
        "SECURE_HSTS_INCLUDE_SUBDOMAINS"
    ]
    # Subdomains without HTTPS make no sense: no HSTS header is sent at all.
    assert not settings_built_with(tmp_path, HSTS_INCLUDE_SUBDOMAINS="1")[
        "SECURE_HSTS_INCLUDE_SUBDOMAINS"
    ]


def test_secure_cookies_alone_still_marks_the_cookies_secure(tmp_path):
    built = settings_built_with(tmp_path, SECURE_COOKIES="1")
    assert built["SESSION_COOKIE_SECURE"] and built["CSRF_COOKIE_SECURE"]
    assert not built["SECURE_SSL_REDIRECT"] and built["SECURE_HSTS_SECONDS"] == 0


def test_debug_uses_the_saved_secret_key(tmp_path):
    (tmp_path / "secret_key").write_text("k3y-" * 16 + "\n")
    assert settings_built_with(tmp_path, DEBUG="1")["SECRET_KEY"] == "k3y-" * 16


def test_debug_without_a_key_file_generates_one_readable_by_the_owner_only(tmp_path):
    key = settings_built_with(tmp_path, DEBUG="1")["SECRET_KEY"]
    assert len(key) == 64 and key == (tmp_path / "secret_key").read_text()
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert settings_built_with(tmp_path, DEBUG="1")["SECRET_KEY"] == key


@pytest.mark.django_db
def test_pages_send_the_referrer_and_opener_policies(client):
    response = client.get(reverse("account_login"))
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


# --- Content-Security-Policy ---------------------------------------------------------------


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in header.split(";") if part.strip()
    )


def inline_scripts(html: str) -> list[str]:
    """The attributes of each <script> with code inside rather than a src."""
    tags = re.findall(r"<script\b([^>]*)>", html)
    return [attrs for attrs in tags if "src=" not in attrs]


@pytest.mark.django_db
def test_page_policy_has_a_nonce_matching_its_inline_scripts(client, owner):
    client.force_login(owner.owner)
    response = client.get(reverse("portal:ticket_new"))
    assert response.status_code == 200
    policy = policy_of(response)
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9+/=]{16,})'", policy["script-src"])[1]
    scripts = inline_scripts(response.content.decode())
    assert scripts, "the ticket form has an inline script"
    assert all(f'nonce="{nonce}"' in attrs for attrs in scripts), scripts
    # A new nonce each time.
    assert nonce not in client.get(reverse("portal:ticket_new"))["Content-Security-Policy"]


@pytest.mark.django_db
def test_policy_allows_only_our_origin(client):
    policy = policy_of(client.get(reverse("account_login")))
    assert policy == {
        "default-src": "'self'",
        "script-src": "'self'",  # no inline script on this page, so no nonce either
        "style-src": "'self'",
        "img-src": "'self' data:",
        "frame-ancestors": "'none'",
        "form-action": "'self'",
        "base-uri": "'self'",
        "object-src": "'none'",
    }


@pytest.mark.django_db
def test_attachments_keep_their_sandbox_policy(client, owner):
    upload = SimpleUploadedFile("page.txt", b"<script>alert(1)</script>")
    ticket = make_ticket(owner, attachments=[upload])
    attachment = Attachment.objects.get(message__ticket=ticket)
    client.force_login(owner.owner)
    response = client.get(reverse("portal:ticket_attachment", args=[ticket.code, attachment.pk]))
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


TEMPLATES = sorted(Path(sportello.__file__).parent.glob("**/templates/**/*.html"))
# Rendered into emails and PDFs, never served as pages: their inline styles are fine. (The
# mail app's own pages live in mail/panel/ and mail/desk/.)
NOT_PAGES = re.compile(r"^mail/(?!panel/|desk/)|^billing/(invoice|statement)_pdf\.html$")


def template_name(path: Path) -> str:
    return str(path).split("/templates/", 1)[1]


def tags_of(path: Path) -> list[str]:
    return re.findall(r"<[a-zA-Z][\w-]*\b[^>]*>", path.read_text())


def test_templates_are_found():
    assert len(TEMPLATES) > 100 and any(template_name(p) == "base.html" for p in TEMPLATES)


def test_no_template_has_an_inline_event_handler_or_javascript_url():
    offenders = [
        f"{template_name(path)}: {tag}"
        for path in TEMPLATES
        for tag in tags_of(path)
        if re.search(r"\s(on[a-z]+|hx-on[\w:-]*)\s*=", tag) or "javascript:" in tag.lower()
    ]
    assert offenders == []


def test_every_inline_script_in_the_templates_carries_the_nonce():
    offenders = [
        f"{template_name(path)}: {tag}"
        for path in TEMPLATES
        for tag in tags_of(path)
        if tag.startswith("<script")
        and "src=" not in tag
        and 'type="application/json"' not in tag
        and 'nonce="{{ request.csp_nonce }}"' not in tag
    ]
    assert offenders == []


def test_no_page_template_has_inline_styles():
    offenders = [
        f"{template_name(path)}: {tag}"
        for path in TEMPLATES
        if not NOT_PAGES.match(template_name(path))
        for tag in tags_of(path)
        if tag.startswith("<style") or re.search(r"\sstyle\s*=", tag)
    ]
    assert offenders == []


# --- The data directory ------------------------------------------------------------------

PROBE = """
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from huey.contrib.djhuey import HUEY

from sportello.helpdesk.models import Attachment

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE probe (x)")
HUEY.put("probe", "value")
cache.set("probe", 1)
Attachment._meta.get_field("file").storage.save("ABC-123-45678/page.txt", ContentFile(b"x"))
"""


def test_what_the_command_creates_in_the_data_directory_is_owner_only(tmp_path):
    data = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-m", "sportello.cli", "shell", "-c", PROBE],
        env=fresh_env(data, DJANGO_SETTINGS_MODULE="sportello.settings"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    modes = {
        str(path.relative_to(data)): stat.S_IMODE(path.stat().st_mode)
        for path in [data, *data.rglob("*")]
    }
    for name in ["sportello.sqlite3", "huey.sqlite3", "secret_key", "mfa_key",
                 "attachments/ABC-123-45678/page.txt"]:  # fmt: skip
        assert modes[name] == 0o600, name
    assert modes["."] == modes["attachments"] == modes["attachments/ABC-123-45678"] == 0o700
    assert any(name.startswith("cache/") for name in modes)
    loose = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert loose == {}


def test_an_existing_data_directory_is_closed_to_others(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    settings_built_with(data)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


def test_the_wsgi_application_runs_with_an_owner_only_umask(tmp_path):
    code = "import os, sportello.wsgi; print(oct(os.umask(0)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=fresh_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0o77"


@pytest.mark.django_db
def test_uploaded_attachments_are_owner_only(owner):
    ticket = make_ticket(owner, attachments=[SimpleUploadedFile("notes.txt", b"private")])
    path = Path(Attachment.objects.get(message__ticket=ticket).file.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert settings.FILE_UPLOAD_PERMISSIONS == 0o600


# --- Locked dependencies -----------------------------------------------------------------

REPO = Path(sportello.__file__).resolve().parents[2]


def pins(lock: str) -> dict[str, tuple[str, int]]:
    """Each package of a lock file: its version and how many hashes it accepts."""
    found = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", (REPO / lock).read_text()):
        if match := re.match(r"([A-Za-z0-9._-]+)==(\S+)", entry):
            found[match[1].lower()] = (match[2], entry.count("--hash=sha256:"))
    return found


def test_every_locked_package_has_an_exact_version_and_a_hash():
    for lock in ["requirements.lock", "requirements-test.lock"]:
        locked = pins(lock)
        assert {"django", "django-csp", "weasyprint"} <= set(locked)
        assert [name for name, (_version, hashes) in locked.items() if not hashes] == []


def test_both_locks_pin_the_products_packages_alike():
    product, test = pins("requirements.lock"), pins("requirements-test.lock")
    assert {"pytest", "playwright", "pip-audit"} <= set(test) - set(product)
    assert {name: version for name, (version, _) in product.items()} == {
        name: test[name][0] for name in product if name in test
    }
    assert set(product) <= set(test)
