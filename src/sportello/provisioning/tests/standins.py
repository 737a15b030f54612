"""Local stand-ins the provisioning tests talk to over the real protocols: a WHM API 1 server
(the documented JSON answers) over HTTP, an EPP registry over TLS (RFC 5730-5734), and a
real PowerDNS Authoritative server from Debian's pdns-server."""

import datetime as dt
import json
import shutil
import socket
import sqlite3
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from lxml import etree

from sportello.provisioning.modules.epp import read_frame, write_frame


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- WHM ------------------------------------------------------------------------------------


class Whm:
    """WHM API 1 as documented: `metadata.result` 1/0 with `reason`, the data under `data`."""

    def __init__(self, token: str = "WHMTOKEN"):
        self.token = token
        self.accounts: dict[str, dict] = {}
        self.calls: list[tuple[str, dict]] = []
        self.fail_next: str | None = None  # a function name that answers result 0 once
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        whm = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                if self.headers.get("Authorization") != f"whm root:{whm.token}":
                    self.send_response(403)
                    self.end_headers()
                    return
                function = url.path.removeprefix("/json-api/")
                whm.calls.append((function, params))
                status, data, reason = whm.answer(function, params)
                body = json.dumps({
                    "metadata": {"version": 1, "command": function, "result": status,
                                 "reason": reason},
                    "data": data,
                }).encode()  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def answer(self, function, params):
        if self.fail_next == function:
            self.fail_next = None
            return 0, {}, "Temporary failure"
        user = params.get("user") or params.get("username")
        if function == "showbw":
            user = params.get("search")
        accounts = self.accounts
        if function == "listaccts":
            found = [a for a in accounts.values() if a["user"] == params.get("search")]
            return (
                1,
                {"acct": [{"user": a["user"], "suspended": a["suspended"]} for a in found]},
                "OK",
            )
        if function == "createacct":
            if user in accounts:
                return 0, {}, f"Sorry, a user {user} already exists."
            accounts[user] = {"user": user, "domain": params["domain"], "plan": params.get("plan"),
                              "suspended": 0, "diskused": "14M", "disklimit": "1024M"}  # fmt: skip
            return 1, {"ip": "192.0.2.20", "nameserver": "ns1.example.net"}, "Account Creation Ok"
        if user not in accounts:
            return 0, {}, f"Account {user} does not exist."
        if function == "suspendacct":
            accounts[user]["suspended"] = 1
        elif function == "unsuspendacct":
            accounts[user]["suspended"] = 0
        elif function == "removeacct":
            del accounts[user]
        elif function == "changepackage":
            accounts[user]["plan"] = params["pkg"]
        elif function == "passwd":
            pass
        elif function == "create_user_session":
            return 1, {"url": f"https://whm.example:2083/cpsess0000/login/?session={user}:x"}, "OK"
        elif function == "accountsummary":
            return 1, {"acct": [accounts[user]]}, "OK"
        elif function == "showbw":
            return 1, {"acct": [{"user": user, "totalbytes": 5 * 1024 * 1024}]}, "OK"
        else:
            return 0, {}, f"Unknown function {function}"
        return 1, {}, "OK"


# --- EPP ------------------------------------------------------------------------------------

EPP = "urn:ietf:params:xml:ns:epp-1.0"
DOMAIN = "urn:ietf:params:xml:ns:domain-1.0"
CONTACT = "urn:ietf:params:xml:ns:contact-1.0"
NS = {"e": EPP, "d": DOMAIN, "c": CONTACT}


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "epp.pem", directory / "epp.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


class EppRegistry:
    """A registry speaking EPP over TLS: greeting, login, domain check/info/create/renew/
    transfer/update/delete and contact create, with the RFC's result codes. Other
    registrars' domains are in `domains` with another clID."""

    def __init__(self, directory: Path, client_id: str = "SPORTELLO", password: str = "secret"):
        self.client_id, self.password = client_id, password
        self.domains: dict[str, dict] = {}
        self.contacts: dict[str, dict] = {}
        self.commands: list[str] = []
        self.cafile, key = self_signed(directory)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.cafile, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"epps://localhost:{self.port}"
        self.running = True
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self):
        self.running = False
        self.listener.close()

    def _serve(self):
        while self.running:
            try:
                raw, _addr = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(raw,), daemon=True).start()

    def _session(self, raw):
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            return
        logged_in = False
        try:
            write_frame(
                conn,
                self._xml(
                    "<greeting><svID>Stand-in registry</svID>"
                    "<svDate>2026-01-01T00:00:00Z</svDate></greeting>"
                ),
            )
            while True:
                request = etree.fromstring(read_frame(conn))
                command = request.find("e:command", NS)
                verb = command[0]
                name = etree.QName(verb).localname
                trid = command.findtext("e:clTRID", "", NS)
                if name == "login":
                    ok = (verb.findtext("e:clID", "", NS) == self.client_id
                          and verb.findtext("e:pw", "", NS) == self.password)  # fmt: skip
                    logged_in = ok
                    write_frame(conn, self._result(1000 if ok else 2200, trid))
                    continue
                if name == "logout":
                    write_frame(conn, self._result(1500, trid))
                    return
                if not logged_in:
                    write_frame(conn, self._result(2002, trid))
                    continue
                obj = verb[0]
                kind = "domain" if etree.QName(obj).namespace == DOMAIN else "contact"
                self.commands.append(f"{name}:{kind}")
                write_frame(conn, self._handle(name, obj, command, trid))
        except Exception:  # noqa: BLE001  (a client gone mid-session ends it)
            pass
        finally:
            conn.close()

    def _xml(self, inner: str) -> bytes:
        return (f'<?xml version="1.0" encoding="UTF-8"?><epp xmlns="{EPP}">{inner}</epp>').encode()

    def _result(self, code: int, trid: str, data: str = "") -> bytes:
        res = f"<resData>{data}</resData>" if data else ""
        return self._xml(
            f'<response><result code="{code}"><msg>r{code}</msg></result>{res}'
            f"<trID><clTRID>{trid}</clTRID><svTRID>S{code}</svTRID></trID></response>"
        )

    def _handle(self, name, obj, command, trid):
        ns = f'xmlns:domain="{DOMAIN}"'
        if etree.QName(obj).namespace == CONTACT:
            handle = obj.findtext("c:id", "", NS)
            if handle in self.contacts:
                return self._result(2302, trid)
            self.contacts[handle] = {
                "email": obj.findtext("c:email", "", NS),
                "extension": command.find("e:extension", NS) is not None,
            }
            return self._result(1000, trid)
        if name == "check":
            rows = "".join(
                f'<domain:cd><domain:name avail="{0 if n.text in self.domains else 1}">{n.text}'
                "</domain:name></domain:cd>"
                for n in obj.findall("d:name", NS)
            )
            return self._result(1000, trid, f"<domain:chkData {ns}>{rows}</domain:chkData>")
        domain = obj.findtext("d:name", "", NS).lower()
        found = self.domains.get(domain)
        if name == "info":
            if found is None:
                return self._result(2303, trid)
            ours = found["clID"] == self.client_id
            statuses = "".join(f'<domain:status s="{s}"/>' for s in found["statuses"] or ["ok"])
            hosts = "".join(f"<domain:hostObj>{h}</domain:hostObj>" for h in found["ns"])
            auth = (
                f"<domain:authInfo><domain:pw>{found['pw']}</domain:pw></domain:authInfo>"
                if ours
                else ""
            )
            return self._result(1000, trid, (
                f"<domain:infData {ns}><domain:name>{domain}</domain:name>"
                f"<domain:roid>R-{domain}</domain:roid>"
                f"{statuses}<domain:ns>{hosts}</domain:ns><domain:clID>{found['clID']}</domain:clID>"
                f"<domain:exDate>{found['exDate']}T00:00:00Z</domain:exDate>{auth}</domain:infData>"
            ))  # fmt: skip
        if name == "create":
            if found is not None:
                return self._result(2302, trid)
            years = int(obj.findtext("d:period", "1", NS))
            registrant = obj.findtext("d:registrant", "", NS)
            if registrant not in self.contacts:
                return self._result(2303, trid)
            self.domains[domain] = {
                "clID": self.client_id, "registrant": registrant,
                "exDate": dt.date.today().replace(year=dt.date.today().year + years).isoformat(),
                "statuses": [], "ns": [h.text for h in obj.findall("d:ns/d:hostObj", NS)],
                "pw": obj.findtext("d:authInfo/d:pw", "", NS),
            }  # fmt: skip
            return self._result(1000, trid)
        if found is None:
            return self._result(2303, trid)
        if name == "transfer":
            if found["clID"] == self.client_id or found.get("pending"):
                return self._result(2300, trid)
            if obj.findtext("d:authInfo/d:pw", "", NS) != found["pw"]:
                return self._result(2202, trid)
            if "clientTransferProhibited" in found["statuses"]:
                return self._result(2304, trid)
            found["pending"] = self.client_id
            return self._result(1001, trid)
        if found["clID"] != self.client_id:
            return self._result(2201, trid)
        if name == "update":
            for status in obj.findall("d:add/d:status", NS):
                found["statuses"].append(status.get("s"))
            for status in obj.findall("d:rem/d:status", NS):
                found["statuses"].remove(status.get("s"))
            found["ns"] += [h.text for h in obj.findall("d:add/d:ns/d:hostObj", NS)]
            for host in obj.findall("d:rem/d:ns/d:hostObj", NS):
                found["ns"].remove(host.text)
            return self._result(1000, trid)
        if name == "renew":
            if obj.findtext("d:curExpDate", "", NS) != found["exDate"]:
                return self._result(2306, trid)
            expiry = dt.date.fromisoformat(found["exDate"])
            found["exDate"] = expiry.replace(
                year=expiry.year + int(obj.findtext("d:period", "1", NS))
            ).isoformat()
            return self._result(
                1000,
                trid,
                f"<domain:renData {ns}><domain:name>{domain}</domain:name>"
                f"<domain:exDate>{found['exDate']}T00:00:00Z</domain:exDate></domain:renData>",
            )
        if name == "delete":
            del self.domains[domain]
            return self._result(1000, trid)
        return self._result(2101, trid)

    def complete_transfer(self, domain: str) -> None:
        found = self.domains[domain]
        found["clID"] = found.pop("pending")


# --- PowerDNS -------------------------------------------------------------------------------

PDNS_SCHEMA = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")


def pdns_available() -> bool:
    return shutil.which("pdns_server") is not None and PDNS_SCHEMA.exists()


class PowerDns:
    """Debian's pdns_server with the SQLite backend, on loopback, its HTTP API on."""

    api_key = "pdns-test-key"

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        database = directory / "pdns.sqlite3"
        with sqlite3.connect(database) as db:
            db.executescript(PDNS_SCHEMA.read_text())
        self.dns_port, self.api_port = free_port(), free_port()
        (directory / "pdns.conf").write_text(
            "\n".join([
                "launch=gsqlite3", f"gsqlite3-database={database}",
                "local-address=127.0.0.1", f"local-port={self.dns_port}",
                "api=yes", f"api-key={self.api_key}", "webserver=yes",
                "webserver-address=127.0.0.1", f"webserver-port={self.api_port}",
                "webserver-allow-from=127.0.0.0/8", "guardian=no", "daemon=no",
                f"socket-dir={directory}", "disable-syslog=yes", "loglevel=3",
            ]) + "\n"
        )  # fmt: skip
        self.log = open(directory / "pdns.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            ["pdns_server", f"--config-dir={directory}"], stdout=self.log, stderr=self.log
        )
        self.url = f"http://127.0.0.1:{self.api_port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.api_port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        self.close()
        raise RuntimeError((directory / "pdns.log").read_text())

    def close(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()
