"""Sportello's own deployment checks on the settings (`sportello check --deploy`).

Each problem is one message whose text says what is wrong and whose hint says what to do;
they run only with `--deploy`, since a demo on 127.0.0.1 has none of this and needs none.
"""

import os
import stat
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, register

DEPLOY = "sportello"


def _loose_file(path: Path) -> str | None:
    """Why a file holding a secret is readable by others than its owner, or None."""
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"mode {stat.S_IMODE(info.st_mode):04o}"
    if info.st_uid != os.getuid():
        return f"owned by uid {info.st_uid}, not by the account Sportello runs as"
    return None


@register(DEPLOY, Tags.security, deploy=True)
def secret_files(app_configs, **kwargs):
    """The keys generated into the data directory, and the directory, are the owner's only."""
    problems = []
    data_dir = Path(settings.DATA_DIR)
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        problems.append(
            Error(
                f"The data directory {data_dir} is open to others (mode {mode:04o}).",
                hint=f"chmod 700 {data_dir}",
                id="sportello.E001",
            )
        )
    keys = {"secret_key": "SECRET_KEY", "mfa_key": "MFA_ENCRYPTION_KEYS"}
    for name, variable in keys.items():
        path = data_dir / name
        if os.environ.get(variable) or not path.exists():
            continue
        if why := _loose_file(path):
            problems.append(
                Error(
                    f"The key file {path} ({variable}) can be read by others ({why}).",
                    hint=f"chown the account Sportello runs as and chmod 600 {path}",
                    id="sportello.E002",
                )
            )
    return problems


@register(DEPLOY, Tags.security, deploy=True)
def site_url(app_configs, **kwargs):
    """Links in mail point at SITE_URL: over HTTPS, and at a host Django answers for."""
    parts = urlsplit(settings.SITE_URL)
    problems = []
    if parts.scheme != "https":
        problems.append(
            Error(
                f"SITE_URL is {settings.SITE_URL}: links in mail (confirmations, password "
                "resets) would travel unencrypted.",
                hint="set SITE_URL=https://<the panel's host name>",
                id="sportello.E003",
            )
        )
    host = parts.hostname or ""
    allowed = settings.ALLOWED_HOSTS
    if host and not any(
        pattern == "*"
        or pattern == host
        or (pattern.startswith(".") and (host == pattern[1:] or host.endswith(pattern)))
        for pattern in allowed
    ):
        problems.append(
            Error(
                f"SITE_URL's host {host} is not in ALLOWED_HOSTS ({', '.join(allowed)}): "
                "every link in mail would answer 400.",
                hint=f"add {host} to ALLOWED_HOSTS",
                id="sportello.E004",
            )
        )
    return problems


@register(DEPLOY, Tags.security, deploy=True)
def behind_proxy(app_configs, **kwargs):
    """HTTPS=1 says a proxy terminates TLS: its address must be trusted for X-Forwarded-For,
    or throttling and the audit log see every client as the proxy."""
    if settings.HTTPS and not settings.TRUSTED_PROXIES:
        return [
            Error(
                "HTTPS is on, so Sportello runs behind a reverse proxy, but TRUSTED_PROXIES "
                "is empty: login throttling and the audit log see the proxy's address for "
                "every client.",
                hint="set TRUSTED_PROXIES to the proxy's address (e.g. TRUSTED_PROXIES=127.0.0.1)",
                id="sportello.E005",
            )
        ]
    return []
