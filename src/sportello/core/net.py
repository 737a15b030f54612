"""The address a request came from, believing X-Forwarded-For only from our own proxies."""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=1)
def _trusted_networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted_proxy(address) -> bool:
    networks = _trusted_networks(tuple(settings.TRUSTED_PROXIES))
    return any(address in network for network in networks)


def client_ip(request) -> str | None:
    """REMOTE_ADDR, unless it is a listed proxy: then the rightmost X-Forwarded-For entry
    that is not one of ours (entries further left are whatever the client claimed)."""
    if request is None:
        return None
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    if remote is None:
        return None
    if not _is_trusted_proxy(remote):
        return str(remote)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for entry in reversed(forwarded):
        hop = _address(entry)
        if hop is None:
            break
        if not _is_trusted_proxy(hop):
            return str(hop)
    return str(remote)
