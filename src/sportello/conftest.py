import shutil
import socket
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django import test
from django.utils import timezone, translation

from sportello import testing
from sportello.browser import browser, new_page, page  # noqa: F401  (fixtures)
from sportello.core.calendar import forget_office_calendar
from sportello.mail.jobs import send_due_emails


class Inbox:
    """What a real SMTP listener on loopback received."""

    def __init__(self):
        self.messages = []
        self.raw = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append((envelope.rcpt_tos, message))
            self.raw.append(envelope.original_content or envelope.content)
        return "250 OK"

    def clear(self):
        with self._lock:
            self.messages.clear()
            self.raw.clear()

    def raw_messages(self) -> list[bytes]:
        with self._lock:
            return list(self.raw)

    def wait_for(self, count=1, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return [m for _rcpt, m in self.messages]
            time.sleep(0.05)
        raise AssertionError(f"expected {count} emails, got {len(self.messages)}")

    def to(self, address):
        with self._lock:
            return [m for rcpt, m in self.messages if address in rcpt]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SignInClient(test.Client):
    """Django's test client, whose `force_login` signs in as the login page would: staff
    with an authenticator have passed the two-factor step in that session. `mfa=False`
    leaves the step out, as a login by another door would."""

    def force_login(self, user, backend=None, *, mfa=True):
        super().force_login(user, backend)
        if mfa and user.is_staff and user.has_two_factor:
            testing.record_mfa_step(self.session, user)


@pytest.fixture
def client():
    return SignInClient()


@pytest.fixture(scope="session")
def smtp_listener():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture(autouse=True)
def inbox(smtp_listener, settings):
    """Every test sends mail through real SMTP to the loopback listener."""
    controller, inbox = smtp_listener
    settings.EMAIL_BACKEND = "sportello.mail.backends.SigningEmailBackend"
    settings.DKIM_PRIVATE_KEY_FILE = "/nonexistent/dkim.pem"  # tests that sign set their own
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    inbox.clear()
    return inbox


@pytest.fixture(autouse=True)
def _no_throttle_leak(settings, tmp_path):
    # Each test gets its own cache, so login throttling never leaks between tests.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }


@pytest.fixture(autouse=True)
def _default_language():
    # Django leaves the last request's language active in the thread: a test that asked in
    # Spanish would otherwise make the next one speak Spanish.
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_office_calendar():
    # A test's closing days vanish with its rollback, which sends no signal.
    forget_office_calendar()


@pytest.fixture
def deliver_outbox(inbox):
    """Run the sender job as the worker would, then return what the listener received."""

    def deliver(expected=1):
        send_due_emails(timezone.now())
        return inbox.wait_for(expected)

    return deliver


@pytest.fixture
def owner(db):
    return testing.make_client("owner@example.org", name="Olga Owner")


@pytest.fixture
def other_client(db):
    return testing.make_client("other@example.org", name="Otto Other")


@pytest.fixture
def billing_staff(db):
    return testing.make_staff(testing.User.Role.BILLING)


SEEDED = {
    "billing.VatRate": "sportello.billing.migrations.0002_eu_vat_rates",
    "services.RenewalTerms": "sportello.services.migrations.0003_seed_renewal_terms",
    "helpdesk.Category": [
        "sportello.helpdesk.migrations.0003_seed_helpdesk",
        "sportello.helpdesk.migrations.0006_seed_email_categories",
    ],
    "extra.Rate": "sportello.extra.migrations.0002_seed_rate_card",
}


@pytest.fixture(autouse=True)
def _seeded_settings(request):
    """The settings rows migrations seed, back after a transactional test flushed them."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if not uses_db:
        return
    request.getfixturevalue("_django_db_helper")
    import importlib

    from django.apps import apps

    for model, migrations in SEEDED.items():
        if not apps.get_model(model).objects.exists():
            for migration in [migrations] if isinstance(migrations, str) else migrations:
                importlib.import_module(migration).seed(apps, None)


def pytest_sessionfinish(session, exitstatus):
    """The run's own attachments folder (settings.py) goes with the run."""
    from django.conf import settings

    folder = Path(settings.ATTACHMENTS_DIR)
    if folder.name.startswith("attachments-test-"):
        shutil.rmtree(folder, ignore_errors=True)
