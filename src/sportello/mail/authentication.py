"""Is the From domain really the sender's? DMARC-aligned DKIM (checked here with dkimpy,
DNS through dnspython) or a trusted MTA's Authentication-Results (HD-7).

DNS is reached through `txt_lookup`, which tests replace with a function of their own.
With `MAIL_DNS_FILE` set, TXT records are read from that JSON file instead of DNS (name →
list of strings): for closed networks and benchmarks, whose sender domains have no DNS."""

import functools
import json
from dataclasses import dataclass

import dkim
import dkim.util
import publicsuffix2
from authheaders import AuthenticationResultsHeader
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


# Header name → the values a signature covers (bytes as they came, unfolded later).
SignedHeaders = dict[str, list[bytes]]


@dataclass
class Verdict:
    authenticated: bool
    dmarc_published: bool
    detail: str
    # What the aligned signatures cover, so threading reads only signed headers; None when
    # the sender was not authenticated by a signature (a domain without DMARC under that
    # policy, or staff releasing the message), where no header is better than another.
    signed: SignedHeaders | None = None


def organizational_domain(domain: str) -> str:
    """The registrable domain by the Public Suffix List (RFC 7489, section 3.2): example.co.uk
    for mail.example.co.uk, not co.uk; each user.github.io its own. The list is the copy
    publicsuffix2 ships, so the answer never waits on the network."""
    domain = domain.lower().rstrip(".")
    return publicsuffix2.get_sld(domain) or domain


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: both in the same organisational domain."""
    return organizational_domain(domain) == organizational_domain(from_domain)


def dmarc_record(from_domain: str) -> str | None:
    """The From domain's DMARC record, or its organisational domain's, whose policy covers
    its subdomains."""
    from_domain = from_domain.lower().rstrip(".")
    candidates = dict.fromkeys([from_domain, organizational_domain(from_domain)])
    for domain in candidates:
        for record in txt_lookup(f"_dmarc.{domain}"):
            if record.lower().startswith("v=dmarc1"):
                return record
    return None


def _dkim_dns(name: bytes, timeout: int = DNS_TIMEOUT) -> bytes | None:
    records = txt_lookup(name.decode().rstrip("."))
    return records[0].encode() if records else None


@dataclass
class Signature:
    domain: str
    tags: dict[bytes, bytes]


def signatures(raw: bytes) -> tuple[list[tuple[bytes, bytes]], bytes, list[Signature | None]]:
    """The headers, the body and each DKIM-Signature's tags (top first, as dkimpy counts
    them; None for one that cannot be read)."""
    headers, body = dkim.rfc822_parse(raw)
    found: list[Signature | None] = []
    for name, value in headers:
        if name.lower() != b"dkim-signature":
            continue
        try:
            tags = dkim.util.parse_tag_value(value)
            found.append(Signature(tags[b"d"].decode("ascii").strip(), tags))
        except (dkim.util.InvalidTagValueList, KeyError, UnicodeDecodeError):
            found.append(None)
    return headers, body, found


def covers_whole_body(signature: Signature, body: bytes) -> bool:
    """A body length (l=) shorter than the body leaves text nobody signed: such a signature
    proves nothing about what the client wrote, so it does not count at all."""
    if b"l" not in signature.tags:
        return True
    try:
        canonical = dkim.CanonicalizationPolicy.from_c_value(
            signature.tags.get(b"c", b"simple/simple")
        ).canonicalize_body(body)
        return int(signature.tags[b"l"]) >= len(canonical)
    except (ValueError, dkim.InvalidCanonicalizationPolicyError):
        return False


def covered(headers: list[tuple[bytes, bytes]], signature: Signature) -> SignedHeaders:
    """The header instances a signature's h= list covers: each name listed takes the next
    instance from the bottom (RFC 6376, section 5.4.2), so a header added above a signed
    one is not covered."""
    taken: dict[str, int] = {}
    result: SignedHeaders = {}
    for name in signature.tags.get(b"h", b"").split(b":"):
        key = name.strip().lower().decode("ascii", "replace")
        instances = [v for n, v in headers if n.lower().decode("ascii", "replace") == key]
        index = len(instances) - 1 - taken.get(key, 0)
        taken[key] = taken.get(key, 0) + 1
        if index >= 0:
            result.setdefault(key, []).append(instances[index])
    return result


def _merge(into: SignedHeaders, more: SignedHeaders) -> None:
    for name, values in more.items():
        into.setdefault(name, []).extend(v for v in values if v not in into.get(name, []))


def dkim_domains(raw: bytes, signatures_count: int | None = None) -> list[str]:
    """The d= domains of the message's DKIM signatures that verify over the whole body."""
    return [domain for domain, _signed in _verified(raw)]


def _verified(raw: bytes) -> list[tuple[str, SignedHeaders]]:
    headers, body, found = signatures(raw)
    result = []
    for index, signature in enumerate(found):
        if signature is None or not covers_whole_body(signature, body):
            continue
        verifier = dkim.DKIM(raw)
        try:
            if verifier.verify(idx=index, dnsfunc=_dkim_dns):
                result.append((signature.domain, covered(headers, signature)))
        except dkim.DKIMException:
            continue
    return result


def trusted_results(message, authserv_id: str, from_domain: str) -> tuple[bool, str] | None:
    """What the trusted MTA said: (True, d= of the DKIM pass or "" for DMARC) for an aligned
    pass, (False, "") when it checked and found none, None when it said nothing.

    Only the topmost Authentication-Results counts, and only when it carries the MTA's
    authserv-id: our MTA adds its header above everything the sender wrote, and a sender
    can write headers with our authserv-id below it (RFC 8601, section 5). It is read with
    a real parser (authres, through authheaders), and only the dmarc= and dkim= results
    count: a "dmarc=pass" in a comment, an address or an SPF result is not a result."""
    headers = message.get_all("Authentication-Results", [])
    if not headers:
        return None
    text = " ".join(str(headers[0]).split())
    try:
        parsed = AuthenticationResultsHeader.parse_value(text)
    except Exception:  # our MTA's header that cannot be read: believed for nothing
        if text.split(";", 1)[0].strip().lower() == authserv_id.lower():
            return False, ""
        return None
    if str(parsed.authserv_id).lower() != authserv_id.lower():
        return None
    for result in parsed.results:
        method, verdict = str(result.method).lower(), str(result.result).lower()
        properties = {f"{p.type}.{p.name}".lower(): str(p.value).lower() for p in result.properties}
        if verdict != "pass":
            continue
        if method == "dmarc":
            header_from = properties.get("header.from", from_domain.lower())
            if header_from.rsplit("@", 1)[-1] == from_domain.lower():
                return True, ""
        elif method == "dkim":
            domain = properties.get("header.d") or properties.get("header.i", "")
            domain = domain.rsplit("@", 1)[-1]
            if domain and aligned(domain, from_domain):
                return True, domain
    return False, ""


def authenticate(raw: bytes, message, from_domain: str, authserv_id: str = "") -> Verdict:
    published = dmarc_record(from_domain) is not None
    if authserv_id:
        result = trusted_results(message, authserv_id, from_domain)
        if result is not None:
            passed, domain = result
            detail = f"{authserv_id}: {'pass' if passed else 'fail'}"
            return Verdict(passed, published, detail, _signed_by(raw, domain or from_domain))
    verified = _verified(raw)
    domains = [domain for domain, _signed in verified]
    signed: SignedHeaders = {}
    for domain, headers in verified:
        if aligned(domain, from_domain):
            _merge(signed, headers)
    if signed:
        return Verdict(True, published, f"dkim=pass d={','.join(domains)}", signed)
    return Verdict(False, published, f"no aligned DKIM signature ({','.join(domains) or 'none'})")


def _signed_by(raw: bytes, domain: str) -> SignedHeaders | None:
    """What the signatures of an aligned domain cover, when the MTA verified them: their
    h= lists read without verifying again; those with a short l= cover nothing. None when
    the domain signed nothing (DMARC passed on SPF: the message came from the domain's own
    servers, so it is no replay of a signed one)."""
    headers, body, found = signatures(raw)
    mine = [s for s in found if s is not None and aligned(s.domain, domain)]
    if not mine:
        return None
    signed: SignedHeaders = {}
    for signature in mine:
        if covers_whole_body(signature, body):
            _merge(signed, covered(headers, signature))
    return signed
