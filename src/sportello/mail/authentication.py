"""Is the From domain really the sender's? DMARC-aligned DKIM (checked here with dkimpy,
DNS through dnspython) or a trusted MTA's Authentication-Results (HD-7).

DNS is reached through `txt_lookup`, which tests replace with a function of their own.
With `MAIL_DNS_FILE` set, TXT records are read from that JSON file instead of DNS (name →
list of strings): for closed networks and benchmarks, whose sender domains have no DNS."""

import functools
import json
import re
from dataclasses import dataclass

import dkim
from django.conf import settings

DNS_TIMEOUT = 5


@functools.cache
def _records_file(path: str) -> dict[str, list[str]]:
    with open(path, encoding="utf-8") as records:
        return {name.lower().rstrip("."): values for name, values in json.load(records).items()}


def dns_txt(name: str) -> list[str]:
    """The TXT records of a name ([] when there are none or DNS fails)."""
    if settings.MAIL_DNS_FILE:
        return _records_file(settings.MAIL_DNS_FILE).get(name.lower().rstrip("."), [])
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=DNS_TIMEOUT)
    except (dns.exception.DNSException, OSError):
        return []
    return [b"".join(record.strings).decode("ascii", "replace") for record in answer]


txt_lookup = dns_txt


@dataclass
class Verdict:
    authenticated: bool
    dmarc_published: bool
    detail: str


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other."""
    domain, from_domain = domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    return (
        domain == from_domain
        or from_domain.endswith("." + domain)
        or domain.endswith("." + from_domain)
    )


def dmarc_record(from_domain: str) -> str | None:
    candidates = [from_domain]
    parts = from_domain.split(".")
    if len(parts) > 2:  # the organisational domain's policy applies to its subdomains
        candidates.append(".".join(parts[-2:]))
    for domain in candidates:
        for record in txt_lookup(f"_dmarc.{domain}"):
            if record.lower().startswith("v=dmarc1"):
                return record
    return None


def _dkim_dns(name: bytes, timeout: int = DNS_TIMEOUT) -> bytes | None:
    records = txt_lookup(name.decode().rstrip("."))
    return records[0].encode() if records else None


def dkim_domains(raw: bytes, signatures: int) -> list[str]:
    """The d= domains of the message's DKIM signatures that verify."""
    domains = []
    for index in range(signatures):
        verifier = dkim.DKIM(raw)
        try:
            if verifier.verify(idx=index, dnsfunc=_dkim_dns):
                domains.append(verifier.domain.decode())
        except dkim.DKIMException:
            continue
    return domains


def trusted_results(message, authserv_id: str, from_domain: str) -> bool | None:
    """What the trusted MTA said: True (aligned pass), False (it checked, no aligned pass),
    None (it said nothing).

    Only the topmost Authentication-Results counts, and only when it carries the MTA's
    authserv-id: our MTA adds its header above everything the sender wrote, and a sender
    can write headers with our authserv-id below it (RFC 8601, section 5)."""
    headers = message.get_all("Authentication-Results", [])
    if not headers:
        return None
    text = str(headers[0])
    if text.split(";", 1)[0].strip().lower() != authserv_id.lower():
        return None
    if re.search(r"\bdmarc=pass\b", text, re.I):
        return True
    for method, key in (("dkim", "header.d"), ("spf", "smtp.mailfrom")):
        for match in re.finditer(rf"\b{method}=pass\b[^;]*?\b{key}=([^\s;]+)", text, re.I):
            domain = match.group(1).rsplit("@", 1)[-1]
            if aligned(domain, from_domain):
                return True
    return False


def authenticate(raw: bytes, message, from_domain: str, authserv_id: str = "") -> Verdict:
    published = dmarc_record(from_domain) is not None
    if authserv_id:
        result = trusted_results(message, authserv_id, from_domain)
        if result is not None:
            return Verdict(result, published, f"{authserv_id}: {'pass' if result else 'fail'}")
    domains = dkim_domains(raw, len(message.get_all("DKIM-Signature", [])))
    if any(aligned(domain, from_domain) for domain in domains):
        return Verdict(True, published, f"dkim=pass d={','.join(domains)}")
    return Verdict(False, published, f"no aligned DKIM signature ({','.join(domains) or 'none'})")
