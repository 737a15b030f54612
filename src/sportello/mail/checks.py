"""Deployment checks on outgoing mail (`sportello check --deploy`): the DKIM key exists and is
private, and the SPF, DKIM and DMARC records that /desk/mail/dns/ shows are published."""

import os
import re
import stat
from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.db import DatabaseError

from sportello.core.checks import DEPLOY

from . import authentication, backends


def _key_of(record: str) -> str:
    """The public key (p=) of a DKIM record, without the spaces DNS tools split it with."""
    found = re.search(r"(?:^|;)\s*p=([^;]*)", record)
    return re.sub(r"\s+", "", found.group(1)) if found else ""


@register(DEPLOY, deploy=True)
def dkim_key(app_configs, **kwargs):
    path = Path(settings.DKIM_PRIVATE_KEY_FILE)
    if not path.is_file():
        return [
            Error(
                f"No DKIM key at {path}: outgoing mail is not signed and lands in spam.",
                hint="run `sportello dkimkey` and publish the record it prints",
                id="sportello.E020",
            )
        ]
    info = path.stat()
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO) or info.st_uid != os.getuid():
        return [
            Error(
                f"The DKIM key {path} can be read by others (mode "
                f"{stat.S_IMODE(info.st_mode):04o}, uid {info.st_uid}).",
                hint=f"chown the account Sportello runs as and chmod 600 {path}",
                id="sportello.E021",
            )
        ]
    return []


@register(DEPLOY, deploy=True)
def dns_records(app_configs, **kwargs):
    try:
        domain, selector = backends.signing_domain()
    except DatabaseError as error:
        return [
            Error(
                f"The database cannot be read ({type(error).__name__}: "
                f"{str(error).splitlines()[0] if str(error) else 'no detail'}).",
                hint="check DATABASE_URL and that the database server is up, then run "
                "`sportello migrate`",
                id="sportello.E012",
            )
        ]
    where = "publish the record shown at /desk/mail/dns/"
    problems = []
    if not any(r.startswith("v=spf1") for r in authentication.txt_lookup(domain)):
        problems.append(
            Warning(
                f"No SPF record for {domain}: receivers cannot tell Sportello's relay may "
                "send for it.",
                hint=f"{where} (TXT on {domain})",
                id="sportello.W020",
            )
        )
    published = authentication.txt_lookup(f"{selector}._domainkey.{domain}")
    ours = backends.public_key_record()
    if ours and _key_of(ours) not in {_key_of(r) for r in published}:
        problems.append(
            Warning(
                f"{selector}._domainkey.{domain} does not publish the DKIM key mail is "
                "signed with" + (" (it holds another key)." if published else "."),
                hint=f"{where} (TXT on {selector}._domainkey.{domain})",
                id="sportello.W021",
            )
        )
    if not any(r.startswith("v=DMARC1") for r in authentication.txt_lookup(f"_dmarc.{domain}")):
        problems.append(
            Warning(
                f"No DMARC record for {domain}: receivers have no policy for mail that "
                "claims it falsely.",
                hint=f"{where} (TXT on _dmarc.{domain})",
                id="sportello.W022",
            )
        )
    return problems
