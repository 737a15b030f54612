"""The interface every module implements, after the operations hosting providers know
from WHMCS: create, suspend, unsuspend, terminate, change package, change password, a
single sign-on link, usage. Registrar modules add check, register, transfer, renew, info,
nameservers, lock and auth code.

Every operation must be idempotent on the remote end: `create` on an account that already
exists (the same name, created by an earlier attempt that crashed before it was recorded)
adopts it instead of failing or creating a second one; `terminate` on one that is gone is
done."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any


class ModuleError(Exception):
    """The remote end refused or could not be reached: the message is shown to staff."""


class StaffAction(Exception):
    """The module has no API for this: a person must do it (the manual module)."""


@dataclass
class Contact:
    """The holder of a domain, from the client's record (seed 000: the client's data)."""

    handle: str
    name: str
    organisation: str
    email: str
    phone: str
    street: str
    city: str
    postcode: str
    province: str
    country: str
    reg_code: str = ""  # tax code or VAT number (the .it registry asks for it)


@dataclass
class Target:
    """What an operation acts on."""

    service_id: int
    name: str  # the domain, or the service's name
    username: str  # the account's name on the remote end
    package: str = ""
    password: str = ""
    years: int = 1
    auth_code: str = ""  # a domain transfer's
    contact: Contact | None = None
    nameservers: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Usage:
    disk_used_mb: int | None = None
    disk_limit_mb: int | None = None
    bandwidth_used_mb: int | None = None


@dataclass
class DomainInfo:
    name: str
    expires_on: date | None
    statuses: list[str]
    nameservers: list[str]
    auth_code: str = ""
    ours: bool = True

    @property
    def locked(self) -> bool:
        return "clientTransferProhibited" in self.statuses or (
            "serverTransferProhibited" in self.statuses
        )


class Module:
    """A module bound to one configured server (`url`, `username`, `secret`, `options`)."""

    name = ""
    label = ""
    registrar = False
    # What the client's service page offers for this module's services.
    control_panel = False  # a single sign-on link and usage
    dns_zone = False  # a zone editor (`records`, `replace_records`)

    def __init__(self, url: str, username: str, secret: str, options: dict[str, Any]):
        self.url = url.rstrip("/")
        self.username = username
        self.secret = secret
        self.options = options

    def create(self, target: Target) -> str:
        """Create (or adopt) the account; returns its name on the remote end."""
        raise StaffAction

    def suspend(self, target: Target) -> None:
        raise StaffAction

    def unsuspend(self, target: Target) -> None:
        raise StaffAction

    def terminate(self, target: Target) -> None:
        raise StaffAction

    def change_package(self, target: Target) -> None:
        raise StaffAction

    def change_password(self, target: Target) -> None:
        raise StaffAction

    def sso_url(self, target: Target) -> str:
        return ""

    def usage(self, target: Target) -> Usage | None:
        return None

    def records(self, name: str) -> dict[str, Any] | None:
        """The zone as the DNS server holds it (`rrsets`), None without one."""
        return None

    def replace_records(self, name: str, rrsets: list[dict[str, Any]]) -> None:
        raise StaffAction


class Registrar(Module):
    registrar = True

    def check(self, names: list[str]) -> dict[str, bool]:
        raise NotImplementedError

    def info(self, name: str) -> DomainInfo | None:
        raise NotImplementedError

    def renew(self, target: Target, current_expiry: date) -> date:
        raise NotImplementedError

    def set_nameservers(self, target: Target, nameservers: list[str]) -> None:
        raise NotImplementedError

    def set_lock(self, target: Target, locked: bool) -> None:
        raise NotImplementedError
