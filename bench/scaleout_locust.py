"""The load of bench/scaleout.py, for locust (headless): clients browsing the panel, opening
tickets and reporting payments, one agent answering tickets, inbound mail over SMTP to the
gateway. What each write did is appended to $SCALEOUT_LOG (one JSON line each) so the
bench can check afterwards that the database holds it exactly once."""

import base64
import hashlib
import hmac
import json
import os
import re
import smtplib
import struct
import time
import uuid
from datetime import date

import urllib3
from locust import HttpUser, User, between, events, task

urllib3.disable_warnings()  # the bench's certificate is self-signed

LOG = os.environ.get("SCALEOUT_LOG", "/dev/null")
PASSWORD = "sportello-demo"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
CLIENTS = [
    "mario.rossi@example.it",
    "info@ferramentabianchi.example",
    "jane.smith@example.com",
    "lucia.garcia@example.es",
]
GATEWAY = ("127.0.0.1", int(os.environ.get("SCALEOUT_GATEWAY_PORT", "2525")))
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_clients = iter(range(10**6))


def note(kind: str, **fields) -> None:
    with open(LOG, "a") as out:
        out.write(json.dumps({"kind": kind, **fields}) + "\n")


def totp(secret: str, at: float) -> str:
    key = base64.b32decode(secret)
    digest = hmac.new(key, struct.pack(">Q", int(at // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


class Panel(HttpUser):
    abstract = True

    def on_start(self):
        self.client.verify = False  # the bench's certificate is self-signed

    def csrf(self, path: str, name: str) -> str | None:
        response = self.client.get(path, name=name)
        found = CSRF.search(response.text)
        return found.group(1) if found else None

    signed_in = False

    def sign_in(self, email: str) -> None:
        token = self.csrf("/accounts/login/", "sign in")
        answer = self.client.post(
            "/accounts/login/",
            {"csrfmiddlewaretoken": token, "login": email, "password": PASSWORD},
            headers={"Referer": self.host + "/accounts/login/"},
            name="sign in",
        )
        # A sign-in whose node was killed under it is not what sessions are checked on.
        self.signed_in = answer.ok and "/accounts/login" not in answer.url

    def count_node(self, response) -> None:
        node = response.headers.get("X-Upstream")
        if node and self.signed_in:
            note("node", node=node, signed_in="/accounts/login" not in response.url)


class Client(Panel):
    weight = 6
    wait_time = between(0.5, 1.5)

    def on_start(self):
        super().on_start()
        self.email = CLIENTS[next(_clients) % len(CLIENTS)]
        for _attempt in range(3):
            self.sign_in(self.email)
            if self.signed_in:
                break

    @task(6)
    def browse(self):
        for path, name in (("/panel/", "panel: dashboard"), ("/panel/invoices/", "panel: invoices"),
                           ("/panel/tickets/", "panel: tickets")):  # fmt: skip
            with self.client.get(path, name=name, catch_response=True) as response:
                self.count_node(response)
                if self.signed_in and "/accounts/login" in response.url:
                    response.failure("signed out")  # the session did not follow the node

    @task(2)
    def open_ticket(self):
        page = self.client.get("/panel/tickets/new/", name="panel: new ticket form")
        token = CSRF.search(page.text)
        category = re.search(r'<option value="(\d+)" data-kind="general"', page.text)
        # The categories about a service ask which one: the client's first.
        service = re.search(r'name="service".*?<option value="(\d+)"', page.text, re.S)
        if not token or not category:
            return
        mark = uuid.uuid4().hex[:12]
        subject = f"Errore 500 sul carrello di shop-{mark}.example dalle 10"
        with self.client.post(
            "/panel/tickets/new/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "category": category.group(1),
                "priority": "normal",
                "service": service.group(1) if service else "",
                "subject": subject,
                "description": "Il carrello risponde con errore 500 a ogni ordine. " + mark,
            },
            headers={"Referer": self.host + "/panel/tickets/new/"},
            name="panel: open ticket",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # A POST whose answer was lost (a node killed mid-request) may still have opened
            # the ticket: noted as unsure, it must then exist at most once.
            done = response.status_code == 302
            note("ticket", subject=subject, sure=done)
            if not done:
                response.failure(f"answer {response.status_code}")

    @task(1)
    def report_payment(self):
        page = self.client.get("/panel/invoices/", name="panel: invoices")
        ids = re.findall(r'href="/panel/invoices/(\d+)/"', page.text)
        for invoice in ids:
            form = self.client.get(f"/panel/invoices/{invoice}/report/",
                                   name="panel: payment report form")  # fmt: skip
            token = CSRF.search(form.text)
            if form.status_code != 200 or not token:
                continue
            receipt = f"CRO{uuid.uuid4().hex[:16].upper()}"
            with self.client.post(
                f"/panel/invoices/{invoice}/report/",
                {
                    "csrfmiddlewaretoken": token.group(1),
                    "bank": "Banca di prova",
                    "paid_on": date.today().isoformat(),
                    "receipt_number": receipt,
                    "amount": "10.00",
                    "confirm_amount": "on",
                },
                headers={"Referer": self.host + f"/panel/invoices/{invoice}/report/"},
                name="panel: report payment",
                allow_redirects=False,
                catch_response=True,
            ) as response:
                done = response.status_code == 302
                note("payment", receipt=receipt, sure=done)
                if not done:
                    response.failure(f"answer {response.status_code}")
            return


class Agent(Panel):
    fixed_count = 1
    wait_time = between(1, 2)

    def on_start(self):
        super().on_start()
        self.sign_in("agent@sportello.example")
        token = self.csrf("/accounts/2fa/authenticate/", "staff: two-factor step")
        # A code is used once: the next period's is taken if this one's was spent already.
        self.client.post(
            "/accounts/2fa/authenticate/",
            {"csrfmiddlewaretoken": token, "code": totp(TOTP_SECRET, time.time())},
            headers={"Referer": self.host + "/accounts/2fa/authenticate/"},
            name="staff: two-factor step",
        )

    @task
    def answer(self):
        queue = self.client.get("/desk/tickets/", name="staff: queue")
        self.count_node(queue)
        codes = re.findall(r'href="/desk/tickets/([A-Z]{3}-\d{3}-\d{5})/"', queue.text)
        if not codes:
            return
        code = codes[int(time.time()) % len(codes)]
        page = self.client.get(f"/desk/tickets/{code}/", name="staff: ticket")
        token = CSRF.search(page.text)
        seen = re.search(r'name="seen" value="(\d*)"', page.text)
        if not token:
            return
        mark = uuid.uuid4().hex[:12]
        with self.client.post(
            f"/desk/tickets/{code}/",
            {
                "csrfmiddlewaretoken": token.group(1),
                "action": "reply",
                "body": f"Abbiamo riavviato il servizio, può riprovare? ({mark})",
                "then": "open",
                "seen": seen.group(1) if seen else "",
            },
            headers={"Referer": self.host + f"/desk/tickets/{code}/"},
            name="staff: answer",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            done = response.status_code == 302
            note("reply", mark=mark, sure=done)
            if not done:
                response.failure(f"answer {response.status_code}")


class Mail(User):
    """An MTA relaying client mail to the gateway, as Postfix does (deploy/postfix)."""

    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def send(self):
        mark = uuid.uuid4().hex[:12]
        message_id = f"<scaleout.{mark}@example.it>"
        raw = (
            "From: Mario Rossi <mario.rossi@example.it>\r\n"
            "To: hd@sportello.example\r\n"
            f"Subject: Casella info@shop-{mark}.example piena, la posta torna indietro\r\n"
            f"Message-ID: {message_id}\r\n"
            "Authentication-Results: mx.sportello.example; dkim=pass header.d=example.it; "
            "spf=pass smtp.mailfrom=example.it\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"La casella rifiuta i messaggi in arrivo da stamattina ({mark}).\r\n"
        ).encode()
        started = time.perf_counter()
        try:
            with smtplib.SMTP(*GATEWAY, timeout=30) as smtp:
                smtp.sendmail("mario.rossi@example.it", ["hd@sportello.example"], raw)
        except (OSError, smtplib.SMTPException) as error:
            note("mail", message_id=message_id, sure=False)
            events.request.fire(request_type="SMTP", name="mail: gateway", exception=error,
                                response_time=(time.perf_counter() - started) * 1000,
                                response_length=0)  # fmt: skip
            return
        note("mail", message_id=message_id, sure=True)
        events.request.fire(request_type="SMTP", name="mail: gateway", exception=None,
                            response_time=(time.perf_counter() - started) * 1000,
                            response_length=len(raw))  # fmt: skip
