"""Per-message return paths (VERP): each email leaves with the envelope sender
`bounces+<id>-<signature>@<domain>`, so a bounce names the very email it is about. The
signature is an HMAC of the id under the site's secret: a report to an address nobody
could have read off one of our emails is not believed."""

import hmac
import re

from django.conf import settings
from django.utils.crypto import salted_hmac

LOCAL_PART = "bounces"
_SALT = "sportello.mail.verp"
_ADDRESS = re.compile(rf"^{LOCAL_PART}\+(\d{{1,18}})-([0-9a-f]{{16}})@([^@\s]+)$", re.I)


def domain() -> str:
    """The return path's domain: the one outgoing mail is sent from."""
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >").lower()


def _signature(email_id: int) -> str:
    return salted_hmac(_SALT, str(email_id), algorithm="sha256").hexdigest()[:16]


def return_path(email_id: int) -> str:
    return f"{LOCAL_PART}+{email_id}-{_signature(email_id)}@{domain()}"


def email_id_of(address: str) -> int | None:
    """The outgoing email an address was the return path of, or None (not a return path of
    ours, or a signature that does not match)."""
    match = _ADDRESS.match(address.strip().strip("<>"))
    if match is None or match.group(3).lower() != domain():
        return None
    email_id = int(match.group(1))
    return email_id if hmac.compare_digest(match.group(2).lower(), _signature(email_id)) else None
