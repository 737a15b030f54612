"""A registrar over EPP: RFC 5730 (the protocol), 5731 (domains), 5732 (hosts, used here
as nameserver names), 5733 (contacts) and 5734 (TCP with TLS: each message preceded by
its length in four bytes, network order, the four bytes included). One session per
operation: greeting, login, the commands, logout.

The .it registry differs where `options["it_extensions"]` is set: contacts carry the
extcon extension (consent to publish, nationality, entity type, tax code), as the
registry's technical guidelines ask of registrants."""

import secrets
import socket
import ssl
import struct
from datetime import date
from typing import Any

from lxml import etree

from .base import Contact, DomainInfo, ModuleError, Registrar, Target

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
EXTCON = "http://www.nic.it/ITNIC-EPP/extcon-1.0"
NS = {"epp": EPP, "domain": DOMAIN, "contact": CONTACT}
TIMEOUT = 30.0
LARGEST_FRAME = 4 * 1024 * 1024

# Result codes (RFC 5730 §3).
OK, PENDING, LOGGED_OUT = 1000, 1001, 1500
OBJECT_EXISTS, OBJECT_MISSING, PENDING_TRANSFER = 2302, 2303, 2300


def read_frame(stream: Any) -> bytes:
    """One EPP data unit from a socket-like object with `recv`."""
    header = _read_exactly(stream, 4)
    (length,) = struct.unpack("!I", header)
    if not 4 < length <= LARGEST_FRAME:
        raise ModuleError(f"EPP: a frame of {length} bytes")
    return _read_exactly(stream, length - 4)


def write_frame(stream: Any, payload: bytes) -> None:
    stream.sendall(struct.pack("!I", len(payload) + 4) + payload)


def _read_exactly(stream: Any, size: int) -> bytes:
    chunks = b""
    while len(chunks) < size:
        chunk = stream.recv(size - len(chunks))
        if not chunk:
            raise ModuleError("EPP: the server closed the connection")
        chunks += chunk
    return chunks


def _el(parent: Any, ns: str, tag: str, text: str | None = None, **attrs: Any) -> Any:
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", **attrs)
    if text is not None:
        element.text = text
    return element


class Response:
    def __init__(self, raw: bytes):
        try:
            self.tree = etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError as error:
            raise ModuleError(f"EPP: unreadable answer ({error})") from error
        result = self.tree.find("epp:response/epp:result", NS)
        if result is None:
            raise ModuleError("EPP: an answer without a result")
        self.code = int(result.get("code", "0"))
        self.message = (result.findtext("epp:msg", "", NS) or "").strip()

    def find(self, path: str) -> Any:
        return self.tree.find(f"epp:response/epp:resData/{path}", NS)

    def findall(self, path: str) -> list[Any]:
        return list(self.tree.findall(f"epp:response/epp:resData/{path}", NS))


class EppSession:
    def __init__(self, module: "EppRegistrar"):
        self.module = module
        self.sock: Any = None
        self.counter = 0

    def __enter__(self) -> "EppSession":
        host, _sep, port = (
            self.module.url.removeprefix("epps://").removeprefix("epp://").partition(":")
        )
        context = ssl.create_default_context(cafile=self.module.options.get("cafile"))
        if self.module.options.get("client_cert"):
            context.load_cert_chain(self.module.options["client_cert"])
        try:
            raw = socket.create_connection((host, int(port or 700)), timeout=TIMEOUT)
            self.sock = context.wrap_socket(raw, server_hostname=host)
            greeting = etree.fromstring(read_frame(self.sock))
        except (OSError, etree.XMLSyntaxError) as error:
            raise ModuleError(f"EPP: cannot reach {host}: {error}") from error
        if greeting.find("epp:greeting", NS) is None:
            raise ModuleError("EPP: no greeting")
        login = self._command("login")
        _el(login, EPP, "clID", self.module.username)
        _el(login, EPP, "pw", self.module.secret)
        options = _el(login, EPP, "options")
        _el(options, EPP, "version", "1.0")
        _el(options, EPP, "lang", "en")
        services = _el(login, EPP, "svcs")
        _el(services, EPP, "objURI", DOMAIN)
        _el(services, EPP, "objURI", CONTACT)
        answer = self.send(login)
        if answer.code != OK:
            self.sock.close()
            raise ModuleError(f"EPP login: {answer.code} {answer.message}")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.send(self._command("logout"))
        except (ModuleError, OSError):
            pass
        finally:
            self.sock.close()

    def _command(self, verb: str, **attrs: str) -> Any:
        root = etree.Element(f"{{{EPP}}}epp", nsmap={None: EPP})
        command = _el(root, EPP, "command")
        return _el(command, EPP, verb, **attrs)

    def send(self, verb_element: Any, extension: Any = None) -> Response:
        command = verb_element.getparent()
        if extension is not None:
            command.append(extension)
        self.counter += 1
        _el(command, EPP, "clTRID", f"SP-{secrets.token_hex(6)}-{self.counter}")
        payload = etree.tostring(command.getroottree(), xml_declaration=True, encoding="UTF-8")
        try:
            write_frame(self.sock, payload)
            return Response(read_frame(self.sock))
        except OSError as error:
            raise ModuleError(f"EPP: {error}") from error

    def domain(self, verb: str, name: str, **attrs: str) -> tuple[Any, Any]:
        outer = self._command(verb, **attrs)
        inner = _el(outer, DOMAIN, verb, nsmap={"domain": DOMAIN})
        _el(inner, DOMAIN, "name", name)
        return outer, inner


def _ok(answer: Response, what: str, *also: int) -> Response:
    if answer.code not in (OK, PENDING, *also):
        raise ModuleError(f"EPP {what}: {answer.code} {answer.message}")
    return answer


class EppRegistrar(Registrar):
    name = "epp"
    label = "Registrar over EPP (RFC 5730-5734)"

    def session(self) -> EppSession:
        return EppSession(self)

    # --- queries

    def check(self, names: list[str]) -> dict[str, bool]:
        with self.session() as epp:
            outer = epp._command("check")
            inner = _el(outer, DOMAIN, "check", nsmap={"domain": DOMAIN})
            for name in names:
                _el(inner, DOMAIN, "name", name)
            answer = _ok(epp.send(outer), "check")
        found = {}
        for cd in answer.findall("domain:chkData/domain:cd"):
            element = cd.find("domain:name", NS)
            found[element.text.lower()] = element.get("avail") in ("1", "true")
        return found

    def info(self, name: str) -> DomainInfo | None:
        with self.session() as epp:
            return self._info(epp, name)

    def _info(self, epp: EppSession, name: str) -> DomainInfo | None:
        outer, _inner = epp.domain("info", name)
        answer = _ok(epp.send(outer), "info", OBJECT_MISSING)
        if answer.code == OBJECT_MISSING:
            return None
        data = answer.find("domain:infData")
        expiry = data.findtext("domain:exDate", "", NS)[:10]
        return DomainInfo(
            name=data.findtext("domain:name", name, NS),
            expires_on=date.fromisoformat(expiry) if expiry else None,
            statuses=[s.get("s") for s in data.findall("domain:status", NS)],
            nameservers=[ns.text for ns in data.findall("domain:ns/domain:hostObj", NS)],
            auth_code=data.findtext("domain:authInfo/domain:pw", "", NS),
            ours=data.findtext("domain:clID", "", NS) == self.username,
        )

    # --- contacts

    def _ensure_contact(self, epp: EppSession, contact: Contact) -> str:
        outer = epp._command("create")
        inner = _el(outer, CONTACT, "create", nsmap={"contact": CONTACT})
        _el(inner, CONTACT, "id", contact.handle)
        postal = _el(inner, CONTACT, "postalInfo", type="loc")
        _el(postal, CONTACT, "name", contact.name)
        if contact.organisation:
            _el(postal, CONTACT, "org", contact.organisation)
        address = _el(postal, CONTACT, "addr")
        _el(address, CONTACT, "street", contact.street or "-")
        _el(address, CONTACT, "city", contact.city or "-")
        if contact.province:
            _el(address, CONTACT, "sp", contact.province)
        if contact.postcode:
            _el(address, CONTACT, "pc", contact.postcode)
        _el(address, CONTACT, "cc", contact.country)
        if contact.phone:
            _el(inner, CONTACT, "voice", contact.phone)
        _el(inner, CONTACT, "email", contact.email)
        auth = _el(inner, CONTACT, "authInfo")
        _el(auth, CONTACT, "pw", secrets.token_urlsafe(12))
        extension = None
        if self.options.get("it_extensions"):
            extension = etree.Element(f"{{{EPP}}}extension")
            ext = _el(extension, EXTCON, "create", nsmap={"extcon": EXTCON})
            _el(ext, EXTCON, "consentForPublishing", "false")
            registrant = _el(ext, EXTCON, "registrant")
            _el(registrant, EXTCON, "nationalityCode", contact.country)
            _el(registrant, EXTCON, "entityType", "7" if contact.organisation else "1")
            _el(registrant, EXTCON, "regCode", contact.reg_code or "n.a.")
        # An existing handle (an earlier attempt, another domain of the client) is reused.
        _ok(epp.send(outer, extension), "contact create", OBJECT_EXISTS)
        return contact.handle

    # --- provisioning operations

    def create(self, target: Target) -> str:
        """Register the domain, or request its transfer with the auth code; a domain
        already ours (an earlier attempt) is adopted."""
        with self.session() as epp:
            found = self._info(epp, target.name)
            if found is not None and found.ours:
                return target.name
            if target.auth_code:
                self._transfer(epp, target)
                return target.name
            if found is not None:
                raise ModuleError(f"EPP: {target.name} is registered by someone else")
            if target.contact is None:
                raise ModuleError("EPP: a registration needs the registrant")
            handle = self._ensure_contact(epp, target.contact)
            outer, inner = epp.domain("create", target.name)
            _el(inner, DOMAIN, "period", str(target.years), unit="y")
            nameservers = target.nameservers or self.options.get("nameservers", [])
            if nameservers:
                ns = _el(inner, DOMAIN, "ns")
                for host in nameservers:
                    _el(ns, DOMAIN, "hostObj", host)
            _el(inner, DOMAIN, "registrant", handle)
            _el(inner, DOMAIN, "contact", handle, type="admin")
            _el(inner, DOMAIN, "contact", self.options.get("tech_contact", handle), type="tech")
            auth = _el(inner, DOMAIN, "authInfo")
            _el(auth, DOMAIN, "pw", secrets.token_urlsafe(12))
            _ok(epp.send(outer), "create", OBJECT_EXISTS)
        return target.name

    def _transfer(self, epp: EppSession, target: Target) -> None:
        outer, inner = epp.domain("transfer", target.name)
        outer.set("op", "request")
        _el(inner, DOMAIN, "period", str(target.years), unit="y")
        auth = _el(inner, DOMAIN, "authInfo")
        _el(auth, DOMAIN, "pw", target.auth_code)
        # 2300: a transfer already pending (an earlier attempt).
        _ok(epp.send(outer), "transfer", PENDING_TRANSFER)

    def _update_status(self, target: Target, status: str, present: bool) -> None:
        with self.session() as epp:
            found = self._info(epp, target.name)
            if found is None:
                raise ModuleError(f"EPP: no domain {target.name}")
            if (status in found.statuses) == present:
                return
            outer, inner = epp.domain("update", target.name)
            change = _el(inner, DOMAIN, "add" if present else "rem")
            _el(change, DOMAIN, "status", s=status)
            _ok(epp.send(outer), "update")

    def suspend(self, target: Target) -> None:
        self._update_status(target, "clientHold", True)

    def unsuspend(self, target: Target) -> None:
        self._update_status(target, "clientHold", False)

    def set_lock(self, target: Target, locked: bool) -> None:
        self._update_status(target, "clientTransferProhibited", locked)

    def terminate(self, target: Target) -> None:
        with self.session() as epp:
            outer, _inner = epp.domain("delete", target.name)
            _ok(epp.send(outer), "delete", OBJECT_MISSING)

    def change_package(self, target: Target) -> None:
        """A domain has no plan."""

    def renew(self, target: Target, current_expiry: date) -> date:
        with self.session() as epp:
            found = self._info(epp, target.name)
            if found is None or found.expires_on is None:
                raise ModuleError(f"EPP: no domain {target.name}")
            if found.expires_on > current_expiry:  # renewed already
                return found.expires_on
            outer, inner = epp.domain("renew", target.name)
            _el(inner, DOMAIN, "curExpDate", found.expires_on.isoformat())
            _el(inner, DOMAIN, "period", str(target.years), unit="y")
            answer = _ok(epp.send(outer), "renew")
            expiry = answer.find("domain:renData/domain:exDate")
            return date.fromisoformat(expiry.text[:10]) if expiry is not None else found.expires_on

    def set_nameservers(self, target: Target, nameservers: list[str]) -> None:
        with self.session() as epp:
            found = self._info(epp, target.name)
            if found is None:
                raise ModuleError(f"EPP: no domain {target.name}")
            current = {ns.lower() for ns in found.nameservers}
            wanted = {ns.lower().rstrip(".") for ns in nameservers}
            if current == wanted:
                return
            outer, inner = epp.domain("update", target.name)
            if wanted - current:
                ns = _el(_el(inner, DOMAIN, "add"), DOMAIN, "ns")
                for host in sorted(wanted - current):
                    _el(ns, DOMAIN, "hostObj", host)
            if current - wanted:
                ns = _el(_el(inner, DOMAIN, "rem"), DOMAIN, "ns")
                for host in sorted(current - wanted):
                    _el(ns, DOMAIN, "hostObj", host)
            _ok(epp.send(outer), "update")
