"""A small IMAP4rev1 server on loopback for the poller's tests: one mailbox, one folder, the
commands imaplib and imap-tools send, over TLS, STARTTLS or (to be refused) plain text.
Its certificate is self-signed and made on the spot."""

import datetime
import ipaddress
import re
import socketserver
import ssl
import threading
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TOKEN = re.compile(rb'"((?:[^"\\]|\\.)*)"|(\S+)')


def self_signed(directory) -> tuple[str, str]:
    """A certificate for localhost and 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = f"{directory}/imap-cert.pem", f"{directory}/imap-key.pem"
    with open(cert_file, "wb") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


@dataclass
class Message:
    uid: int
    raw: bytes
    flags: set = field(default_factory=set)


class Mailbox:
    """The server's state, shared by its connections; tests read `fetched` and `flags`."""

    def __init__(self, username: str = "desk", password: str = "s3cret pass") -> None:
        self.username, self.password = username, password
        self.messages: list[Message] = []
        self.fetched: list[int] = []  # UIDs whose body was sent, in order
        self.commands: list[str] = []  # every command received, in order
        self.lock = threading.Lock()

    def add(self, raw: bytes, *flags: str) -> int:
        with self.lock:
            uid = (self.messages[-1].uid if self.messages else 0) + 1
            self.messages.append(Message(uid, raw, set(flags)))
            return uid

    def flags(self, uid: int) -> set:
        return next(m.flags for m in self.messages if m.uid == uid)


class Connection(socketserver.StreamRequestHandler):
    server: "ImapServer"

    def setup(self):
        if self.server.security == "tls":
            self.request = self.server.context.wrap_socket(self.request, server_side=True)
        super().setup()
        self.authenticated = self.selected = False

    def send(self, line: str | bytes):
        self.request.sendall((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def handle(self):
        self.send("* OK IMAP4rev1 test server ready")
        while line := self.rfile.readline():
            tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
            words = [(quoted or atom).decode() for quoted, atom in TOKEN.findall(rest)]
            command, args = (words[0].upper(), words[1:]) if words else ("", [])
            if command == "UID" and args:
                command, args = "UID " + args[0].upper(), args[1:]
            self.server.mailbox.commands.append(command)
            method = getattr(self, "do_" + command.replace(" ", "_"), None)
            if method is None or (command not in self.PUBLIC and not self.authenticated):
                self.send(tag + b" BAD command unknown or not allowed now")
                continue
            status = method(args)
            self.send(tag + b" " + (status or "OK done").encode())
            if command == "LOGOUT":
                return
            if command == "STARTTLS" and status is None:
                self.request = self.server.context.wrap_socket(self.request, server_side=True)
                self.rfile = self.request.makefile("rb")

    PUBLIC = {"CAPABILITY", "NOOP", "LOGOUT", "LOGIN", "STARTTLS"}

    def do_CAPABILITY(self, args):
        tls = " STARTTLS" if self.server.security == "starttls" else ""
        self.send("* CAPABILITY IMAP4rev1" + tls)

    def do_NOOP(self, args):
        pass

    def do_LOGOUT(self, args):
        self.send("* BYE logging out")

    def do_STARTTLS(self, args):
        if self.server.security != "starttls":
            return "BAD no TLS here"

    def do_LOGIN(self, args):
        box = self.server.mailbox
        if args != [box.username, box.password]:
            return "NO [AUTHENTICATIONFAILED] invalid credentials"
        self.authenticated = True

    def do_SELECT(self, args):
        self.selected = True
        messages = self.server.mailbox.messages
        self.send("* FLAGS (\\Seen \\Deleted)")
        self.send(f"* {len(messages)} EXISTS")
        self.send("* 0 RECENT")
        self.send("* OK [UIDVALIDITY 1] UIDs valid")
        return "OK [READ-WRITE] SELECT completed"

    do_EXAMINE = do_SELECT

    def do_UID_SEARCH(self, args):
        criteria = [a.upper() for a in args if a.upper() not in ("CHARSET", "US-ASCII", "UTF-8")]
        unseen = criteria == ["UNSEEN"]
        if criteria not in (["UNSEEN"], ["ALL"]):
            return "NO only UNSEEN and ALL are known here"
        with self.server.mailbox.lock:
            uids = [m.uid for m in self.server.mailbox.messages
                    if not (unseen and "\\Seen" in m.flags)]  # fmt: skip
        self.send("* SEARCH" + "".join(f" {uid}" for uid in uids))

    def matching(self, uid_set: str):
        wanted: set[int] = set()
        for part in uid_set.split(","):
            low, _, high = part.partition(":")
            wanted.update(range(int(low), int(high or low) + 1))
        return [(n, m) for n, m in enumerate(self.server.mailbox.messages, 1) if m.uid in wanted]

    def do_UID_FETCH(self, args):
        if len(args) != 2 or args[1].upper() != "(BODY.PEEK[])":
            return "NO only BODY.PEEK[] is served here"
        for number, message in self.matching(args[0]):
            self.server.mailbox.fetched.append(message.uid)
            self.send(f"* {number} FETCH (UID {message.uid} BODY[] {{{len(message.raw)}}}")
            self.request.sendall(message.raw)
            self.send(")")

    def do_UID_STORE(self, args):
        if len(args) != 3 or args[1].upper() not in ("+FLAGS", "-FLAGS"):
            return "NO only +FLAGS and -FLAGS are known here"
        flags = set(args[2].strip("()").split())
        for number, message in self.matching(args[0]):
            with self.server.mailbox.lock:
                if args[1].startswith("+"):
                    message.flags |= flags
                else:
                    message.flags -= flags
            self.send(f"* {number} FETCH (UID {message.uid} FLAGS ({' '.join(message.flags)}))")

    def do_EXPUNGE(self, args):
        with self.server.mailbox.lock:
            box = self.server.mailbox
            box.messages = [m for m in box.messages if "\\Deleted" not in m.flags]


class ImapServer(socketserver.ThreadingTCPServer):
    """`security`: "tls" (TLS from the first byte), "starttls", or "plain" (no TLS at all)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, security: str, cert_file: str, key_file: str, mailbox: Mailbox):
        super().__init__(("127.0.0.1", 0), Connection)
        self.security, self.mailbox = security, mailbox
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert_file, key_file)
        self.port = self.server_address[1]
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def handle_error(self, request, client_address):
        pass  # clients refusing the certificate hang up mid-handshake: expected in these tests

    def stop(self):
        self.shutdown()
        self.server_close()
