"""The records a client may write in their DNS zone, checked before PowerDNS sees them: the
types a hosting client needs, each value in its type's presentation format (RFC 1035,
3596, 2782, 8659), names inside the zone. The zone's SOA and its own NS records are ours."""

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

TYPES = ["A", "AAAA", "CNAME", "MX", "TXT", "SRV", "CAA", "NS"]
# What the client sees but does not edit: the zone's authority.
OURS = {"SOA"}
SHORTEST_TTL, LONGEST_TTL = 60, 86400
MOST_VALUES = 20
LONGEST_TXT = 2048
CAA_TAGS = {"issue", "issuewild", "iodef"}
LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass
class RRSet:
    """One name and type of the zone with its values, as the editor shows it."""

    name: str  # fully qualified, with the final dot
    type: str
    ttl: int
    values: list[str]

    def relative(self, zone: str) -> str:
        zone = fqdn(zone)
        return "@" if self.name == zone else self.name.removesuffix("." + zone)

    def editable(self, zone: str) -> bool:
        return self.type in TYPES and not (self.type == "NS" and self.name == fqdn(zone))


def fqdn(name: str) -> str:
    return name.rstrip(".").lower() + "."


def rrsets_of(zone: dict[str, Any]) -> list[RRSet]:
    """The zone as PowerDNS returns it (`GET …/zones/<zone>`), sorted by name and type."""
    found = [
        RRSet(
            rrset["name"],
            rrset["type"],
            int(rrset.get("ttl") or 0),
            [r["content"] for r in rrset.get("records", [])],
        )
        for rrset in zone.get("rrsets", [])
        if rrset.get("records")
    ]
    return sorted(found, key=lambda r: (r.name.count("."), r.name, r.type))


def _hostname(value: str, zone: str) -> str:
    """A host name: absolute with its dot, or relative to the zone."""
    value = value.strip().lower()
    if value == "@":
        return fqdn(zone)
    name = value if value.endswith(".") else f"{value}.{fqdn(zone)}"
    labels = name.rstrip(".").split(".")
    if len(name) > 254 or len(labels) < 2 or not all(HOST_LABEL.match(x) for x in labels):
        raise ValidationError(_("“%(value)s” is not a host name.") % {"value": value})
    return name


def _number(value: str, largest: int) -> int:
    if not value.isdigit() or int(value) > largest:
        raise ValidationError(
            _("“%(value)s” should be a number from 0 to %(largest)s.")
            % {"value": value, "largest": largest}
        )
    return int(value)


def _txt(value: str) -> str:
    """Text as the client writes it (quotes optional), stored as quoted strings of at most
    255 characters each (RFC 1035 §3.3.14)."""
    text = value.strip()
    if len(text) >= 2 and text.startswith('"') and text.endswith('"'):
        text = text[1:-1].replace('" "', "")
    if not text or len(text) > LONGEST_TXT or not text.isprintable() or not text.isascii():
        raise ValidationError(
            _("A text record holds up to %(largest)s printable ASCII characters.")
            % {"largest": LONGEST_TXT}
        )
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    chunks = [escaped[i : i + 255] for i in range(0, len(escaped), 255)]
    return " ".join(f'"{chunk}"' for chunk in chunks)


def clean_value(kind: str, value: str, zone: str) -> str:
    """One value in the type's presentation format, as PowerDNS stores it."""
    parts = value.split()
    try:
        if kind == "A":
            return str(ipaddress.IPv4Address(value.strip()))
        if kind == "AAAA":
            return str(ipaddress.IPv6Address(value.strip()))
    except ValueError as error:
        raise ValidationError(
            _("“%(value)s” is not an %(type)s address.") % {"value": value.strip(), "type": kind}
        ) from error
    if kind in ("CNAME", "NS"):
        if len(parts) != 1:
            raise ValidationError(_("Write one host name."))
        return _hostname(parts[0], zone)
    if kind == "MX":
        if len(parts) != 2:
            raise ValidationError(_("Write the priority and the mail server: 10 mail.example.it."))
        return f"{_number(parts[0], 65535)} {_hostname(parts[1], zone)}"
    if kind == "SRV":
        if len(parts) != 4:
            raise ValidationError(
                _("Write priority, weight, port and target: 10 5 5060 sip.example.it.")
            )
        numbers = " ".join(str(_number(p, 65535)) for p in parts[:3])
        return f"{numbers} {_hostname(parts[3], zone)}"
    if kind == "CAA":
        match = re.fullmatch(r'\s*(\d+)\s+([a-z]+)\s+"?([^"\s]*)"?\s*', value, re.IGNORECASE)
        if not match or match[2].lower() not in CAA_TAGS:
            raise ValidationError(_('Write flags, tag and value: 0 issue "letsencrypt.org".'))
        return f'{_number(match[1], 255)} {match[2].lower()} "{match[3]}"'
    if kind == "TXT":
        return _txt(value)
    raise ValidationError(_("This record type cannot be edited here."))


def clean_name(name: str, zone: str) -> str:
    """The record's name relative to the zone ("@" or empty for the zone itself, "*" as
    the first label for a wildcard), fully qualified."""
    name = (name or "").strip().lower().rstrip(".")
    zone_name = fqdn(zone)
    if name in ("", "@") or fqdn(name) == zone_name:
        return zone_name
    if name.endswith("." + zone_name.rstrip(".")):
        name = name[: -len(zone_name)]
    labels = name.split(".")
    for position, label in enumerate(labels):
        if label == "*" and position == 0:
            continue
        if not LABEL.match(label):
            raise ValidationError(_("“%(name)s” is not a name in this zone.") % {"name": name})
    full = f"{name}.{zone_name}"
    if len(full) > 254:
        raise ValidationError(_("This name is too long."))
    return full


def clean_rrset(zone: str, name: str, kind: str, ttl: int, values: list[str],
                existing: list[RRSet]) -> RRSet:  # fmt: skip
    """A record set the client wrote, every rule checked; `existing` is the zone now (a
    CNAME is alone at its name, RFC 1034 §3.6.2)."""
    kind = kind.upper()
    if kind not in TYPES:
        raise ValidationError(_("This record type cannot be edited here."))
    full = clean_name(name, zone)
    if not SHORTEST_TTL <= ttl <= LONGEST_TTL:
        raise ValidationError(
            _("The TTL is from %(shortest)s to %(longest)s seconds.")
            % {"shortest": SHORTEST_TTL, "longest": LONGEST_TTL}
        )
    values = [v.strip() for v in values if v.strip()]
    if not values:
        raise ValidationError(_("Write at least one value."))
    if len(values) > MOST_VALUES:
        raise ValidationError(
            _("At most %(count)s values per name and type.") % {"count": MOST_VALUES}
        )
    at_apex = full == fqdn(zone)
    if kind == "NS" and at_apex:
        raise ValidationError(_("The zone's own name servers are set by us."))
    if kind == "CNAME":
        if at_apex:
            raise ValidationError(_("The zone itself cannot be an alias (CNAME)."))
        if len(values) > 1:
            raise ValidationError(_("An alias (CNAME) has one value."))
    others = {r.type for r in existing if r.name == full and r.type != kind}
    if (kind == "CNAME" and others) or (kind != "CNAME" and "CNAME" in others):
        raise ValidationError(_("An alias (CNAME) cannot share its name with other records."))
    cleaned, errors = [], []
    for value in values:
        try:
            cleaned.append(clean_value(kind, value, zone))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return RRSet(full, kind, ttl, list(dict.fromkeys(cleaned)))


def as_patch(rrset: RRSet) -> dict[str, Any]:
    """The rrset for PowerDNS's PATCH (no values: the name and type are deleted)."""
    return {
        "name": rrset.name,
        "type": rrset.type,
        "ttl": rrset.ttl,
        "records": [{"content": v, "disabled": False} for v in rrset.values],
    }
