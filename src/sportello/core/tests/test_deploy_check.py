"""`sportello check --deploy`: Django's deployment checks and Sportello's own, one line per
problem with what to do, a non-zero exit while any error is left."""

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from sportello.automation import heartbeat, registry
from sportello.automation.models import JobRun
from sportello.mail import authentication, backends
from sportello.mail.models import MailSettings

pytestmark = pytest.mark.django_db

PROXIED = {
    "HTTPS": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "TRUSTED_PROXIES": ["127.0.0.1"],
    "SITE_URL": "https://panel.provider.example",
    "ALLOWED_HOSTS": ["panel.provider.example"],
}


@pytest.fixture
def deployed(tmp_path, monkeypatch):
    """A deployment done by the book: keys private, records published, a worker answering
    and yesterday's daily run complete."""
    key = tmp_path / "dkim.pem"
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    key.write_bytes(pem)
    key.chmod(0o600)
    config = MailSettings.current()
    config.dkim_domain = "provider.example"
    config.save()
    with override_settings(DKIM_PRIVATE_KEY_FILE=str(key), **PROXIED):
        domain, selector = backends.signing_domain()
        dkim = backends.public_key_record() or ""
        # How DNS tools hand back a long record: split into strings, spaces in between.
        split = dkim[:40] + " " + dkim[40:]
        records = {
            domain: ["v=spf1 mx a:relay.provider.example ~all"],
            f"{selector}._domainkey.{domain}": [split],
            f"_dmarc.{domain}": ["v=DMARC1; p=quarantine"],
        }
        monkeypatch.setattr(authentication, "txt_lookup", lambda name: records.get(name, []))
        heartbeat.beat(timezone.now())
        yesterday = timezone.localdate() - timedelta(days=1)
        for name in registry.JOBS:
            JobRun.objects.create(job=name, day=yesterday, counts={})
        yield records


def check(*args) -> tuple[list[str], str | None]:
    out = StringIO()
    try:
        call_command("check", "--deploy", *args, stdout=out)
    except CommandError as error:
        return out.getvalue().splitlines(), str(error)
    return out.getvalue().splitlines(), None


def sportello_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if " sportello." in line]


def test_a_deployment_by_the_book_passes(deployed, monkeypatch):
    # The browser tests' setting, which Django rightly refuses in a deployment.
    monkeypatch.delenv("DJANGO_ALLOW_ASYNC_UNSAFE", raising=False)
    lines, failure = check()
    assert failure is None, lines
    assert sportello_lines(lines) == []
    assert lines[-1].startswith("Deployment checks passed")
    # Django's remaining advice (HSTS preload) is a line with what to do, and no failure.
    assert all(" → " in line for line in lines[:-1]), lines


def test_each_problem_is_one_line_naming_what_to_do(deployed, tmp_path, monkeypatch):
    yesterday = timezone.localdate() - timedelta(days=1)
    JobRun.objects.filter(job="renewal_invoices").delete()
    JobRun.objects.filter(job="expiry_notices").update(errors=["OperationalError: gone"])
    heartbeat.beat(timezone.now() - timedelta(minutes=30))
    deployed.pop(next(name for name in deployed if name.startswith("_dmarc")))
    with override_settings(SITE_URL="http://panel.provider.example", TRUSTED_PROXIES=[]):
        lines, failure = check("--tag", "sportello")
    found = {line.split(":")[0] for line in lines}
    assert found == {
        "ERROR sportello.E003",  # SITE_URL over plain HTTP
        "ERROR sportello.E005",  # behind a proxy, none trusted
        "ERROR sportello.E011",  # no worker for 30 minutes
        "ERROR sportello.E014",  # a job missing from yesterday's run
        "ERROR sportello.E015",  # a job failed yesterday
        "WARNING sportello.W022",  # no DMARC record
    }, lines
    assert failure == "5 of 6 deployment checks failed"
    assert all(" → " in line for line in lines)
    missing = next(line for line in lines if "E014" in line)
    assert f"sportello runjobs --date {yesterday} --only renewal_invoices" in missing
    assert "OperationalError: gone" in next(line for line in lines if "E015" in line)


def test_the_keys_must_be_private_and_the_dkim_key_present(deployed, settings, tmp_path):
    from django.conf import settings as live

    loose = tmp_path / "dkim-loose.pem"
    loose.write_bytes(open(live.DKIM_PRIVATE_KEY_FILE, "rb").read())
    loose.chmod(0o644)
    with override_settings(DKIM_PRIVATE_KEY_FILE=str(loose)):
        lines, _failure = check("--tag", "sportello")
    assert [line.split(":")[0] for line in lines] == ["ERROR sportello.E021"]
    assert f"chmod 600 {loose}" in lines[0]
    with override_settings(DKIM_PRIVATE_KEY_FILE=str(tmp_path / "none.pem")):
        lines, _failure = check("--tag", "sportello")
    assert "sportello dkimkey" in next(line for line in lines if "E020" in line)

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "secret_key").write_text("x" * 64)
    (data / "secret_key").chmod(0o640)
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    with override_settings(DATA_DIR=data), pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "environ", env)
        lines, _failure = check("--tag", "sportello")
    secret = next(line for line in lines if "E002" in line)
    assert "mode 0640" in secret and f"chmod 600 {data / 'secret_key'}" in secret


def test_without_a_worker_or_a_daily_run_the_check_says_so(deployed):
    from huey.contrib.djhuey import HUEY

    HUEY.storage.delete_data(heartbeat.KEY)
    JobRun.objects.all().delete()
    lines, failure = check("--tag", "sportello")
    codes = [line.split(":")[0] for line in lines]
    assert codes == ["ERROR sportello.E010", "ERROR sportello.E013"]
    assert failure


def test_the_command_fails_with_one_line_per_problem_on_a_bare_install(tmp_path):
    """A real process, as an operator runs it: nothing set up yet."""
    unset = {"SITE_URL", "HTTPS", "DATABASE_URL", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in unset}
    env["SPORTELLO_DATA_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "sportello.cli", "check", "--deploy"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines and all(" → " in line for line in lines), result.stdout
    assert any(line.startswith("ERROR sportello.E020") for line in lines)
    assert any("E012" in line and "sportello migrate" in line for line in lines)
    assert any(line.startswith("WARNING security.W008") and "HTTPS=1" in line for line in lines)
    assert "deployment checks failed" in result.stderr
