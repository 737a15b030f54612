"""Shared test helpers: factories and the three personas (owner, another client, staff)."""

import itertools
import threading
import time
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connections, transaction

from sportello.accounts.models import Client, Tier, User
from sportello.catalog.models import Price, Product, ProductType, SupportPlanRule
from sportello.helpdesk.models import Department
from sportello.services.models import Service

PASSWORD = "a-Strong-password-42"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
_seq = itertools.count(1)


def make_user(email=None, *, language="it", role="", verified=True, totp=False) -> User:
    email = email or f"user{next(_seq)}@example.org"
    user = User.objects.create_user(email=email, password=PASSWORD, language=language, role=role)
    EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
    if totp:
        TOTP.activate(user, TOTP_SECRET)
    return user


def record_mfa_step(session, user) -> None:
    """What allauth's login leaves in the session once the two-factor code is accepted."""
    from allauth.account.internal.flows.login import (
        _AUTHENTICATION_METHODS_USER_SESSION_KEY,
        AUTHENTICATION_METHODS_SESSION_KEY,
    )
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.filter(user=user, type="totp").first()
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        {"method": "password", "at": time.time(), "email": user.email},
        {"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp"},
    ]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(user.pk)
    session.save()


def totp_code(secret: str = TOTP_SECRET) -> str:
    """The code an authenticator app would show right now for `secret`.

    allauth accepts only the current period (TOTP_TOLERANCE is 0), so never hand out a
    code in the last seconds of its period: wait for the next one instead."""
    from allauth.mfa import app_settings as mfa_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period = mfa_settings.TOTP_PERIOD
    if period - time.time() % period < 3:
        time.sleep(period - time.time() % period + 0.1)
    counter = int(time.time()) // period
    return format_hotp_value(hotp_value(secret, counter))


def make_client(email=None, *, language="it", tier=None, **fields) -> Client:
    user = make_user(email, language=language)
    fields.setdefault("name", f"Client {user.pk}")
    return Client.objects.create(owner=user, tier=tier, **fields)


def make_staff(role=User.Role.AGENT, *, departments=(), totp=True, email=None) -> User:
    user = make_user(email or f"staff{next(_seq)}@sportello.example", role=role, totp=totp)
    if departments:
        user.departments.set(departments)
    return user


def make_department(code="helpdesk", name="Helpdesk") -> Department:
    return Department.objects.get_or_create(code=code, defaults={"name": name})[0]


def make_product(code=None, type=ProductType.HOSTING, price="49.00", **fields) -> Product:
    code = code or f"product-{next(_seq)}"
    product = Product.objects.create(code=code, name=fields.pop("name", code), type=type, **fields)
    Price.objects.create(product=product, cycle_months=12, amount=Decimal(price))
    return product


def make_support_plan(level, rules) -> Product:
    plan = make_product(f"support-{level}", ProductType.SUPPORT_PLAN, "100.00", support_level=level)
    for server_type, linux_only in rules:
        SupportPlanRule.objects.create(plan=plan, server_type=server_type, linux_only=linux_only)
    return plan


def make_service(client, product=None, *, name=None, registered_on=date(2026, 1, 15), **fields):
    product = product or make_product()
    return Service.objects.create(
        client=client,
        product=product,
        name=name or f"site{next(_seq)}.it",
        registered_on=registered_on,
        expires_on=product.expiry_for(registered_on),
        renewal_policy=product.renewal_policy,
        price=product.prices.first().amount,
        **fields,
    )


def make_tier(code="standard", helpdesk_access=True, **fields) -> Tier:
    return Tier.objects.get_or_create(
        code=code, defaults={"name": code.title(), "helpdesk_access": helpdesk_access, **fields}
    )[0]


def database_env() -> dict:
    """Point a process a test starts at the test database, with the test's secret key and a
    data directory of its own: what it queues must never reach the worker `scripts/start`
    runs from the same checkout."""
    from django.conf import settings
    from django.db import connection

    env = {
        "SPORTELLO_DATA_DIR": str(settings.DATA_DIR / "test-processes"),
        "SECRET_KEY": settings.SECRET_KEY,
    }
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return {**env, "SQLITE_PATH": db["NAME"]}
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return {**env, "DATABASE_URL": f"postgresql://{user}@{host}:{port}/{db['NAME']}"}


def make_ticket(client, category="hosting", *, subject="Sito lento da stamattina",
                body="Il sito impiega 20 secondi ad aprirsi.", now=None, **options):  # fmt: skip
    from django.utils import timezone

    from sportello.helpdesk.actions import open_ticket
    from sportello.helpdesk.models import Category

    category = Category.objects.get(code=category)
    if category.needs_service and "service" not in options:
        options["service"] = make_service(client)
    return open_ticket(
        client, category=category, subject=subject, body=body, now=now or timezone.now(), **options
    )


@contextmanager
def held_by_another_transaction(lock):
    """`lock()` runs in a transaction on another connection, which keeps the rows it locked
    until the block ends, as another worker's batch keeps them until it commits."""
    held, release = threading.Event(), threading.Event()

    def another_worker():
        with transaction.atomic():
            lock()
            held.set()
            release.wait(10)
        connections.close_all()

    worker = threading.Thread(target=another_worker)
    worker.start()
    assert held.wait(10)
    try:
        yield
    finally:
        release.set()
        worker.join()
