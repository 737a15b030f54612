"""Where webhooks may be sent: public addresses only, unless a setting allows private ones,
so an endpoint cannot make the workers call into the provider's own network."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target(url: str) -> list[str]:
    """The addresses `url` resolves to, all of them allowed; ValidationError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError({"url": _("Enter an http or https address.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("The address may not carry a user name or password.")})
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError) as error:
        raise ValidationError({"url": _("This host name does not resolve.")}) from error
    addresses = sorted({str(info[4][0]) for info in infos})
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS and not all(map(_is_public, addresses)):
        raise ValidationError(
            {"url": _("This address is in a private, loopback or reserved network.")}
        )
    return addresses


def pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """The request to `url` sent to `address`, the one `check_target` just allowed: (URL with
    the address as host, headers with the real Host, httpx extensions with the name TLS
    checks the certificate against). Resolving the name again when connecting would let a
    name that answered a public address to the check answer a private one to the request
    (DNS rebinding)."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    header_host = parts.hostname or ""
    if ":" in header_host:
        header_host = f"[{header_host}]"
    if parts.port:
        header_host = f"{header_host}:{parts.port}"
    target = parts._replace(netloc=netloc).geturl()
    return target, {"Host": header_host}, {"sni_hostname": parts.hostname or ""}
