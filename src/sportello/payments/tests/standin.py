"""A local stand-in for Stripe's and PayPal's APIs, for tests: a real HTTP server on
loopback that answers the official SDKs with the providers' documented payloads, keeps
idempotency keys (Stripe's Idempotency-Key, PayPal's PayPal-Request-Id) as the providers do,
serves minimal hosted payment pages, and signs webhooks with the documented schemes
(Stripe-Signature: t=…,v1=HMAC-SHA256 of "t.body"; PayPal: RSA-SHA256 over
"transmission id|time|webhook id|CRC32(body)" with a certificate it serves)."""

import base64
import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from urllib.request import Request, urlopen

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

STRIPE_WEBHOOK_SECRET = "whsec_test_standin"
PAYPAL_WEBHOOK_ID = "WH-STANDIN-1"


def nested_form(body: str) -> dict:
    """Stripe's form encoding (a[b][0][c]=v) back into objects and lists."""
    root: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for part, following in zip(parts, parts[1:], strict=False):
            node = node.setdefault(part, {})
            del following
        node[parts[-1]] = value

    def lists(node):
        if isinstance(node, dict):
            if node and all(k.isdigit() for k in node):
                return [lists(node[k]) for k in sorted(node, key=int)]
            return {k: lists(v) for k, v in node.items()}
        return node

    return lists(root)


def _certificate():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "messageverificationcerts")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


class StandIn:
    def __init__(self):
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.methods: dict[str, dict] = {}
        self.refunds: list[dict] = []
        self.orders: dict[str, dict] = {}
        self.idempotent: dict[tuple[str, str], tuple[int, dict]] = {}
        self.requests: list[tuple[str, str]] = []
        self.charges = 0  # money actually taken (cards, captures)
        self.slow_keys: set[str] = set()  # answer these after the client gave up, once
        self.delay = 0.0
        self.refuse_refunds = False  # answer refunds as the provider does when it cannot
        self.webhook_url = ""  # where the hosted pages send events before redirecting
        self.paypal_webhook_url = ""
        self.key, self.cert_pem = _certificate()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def new_id(self, prefix):
        return f"{prefix}_{next(self.ids):06d}"

    # --- Stripe objects

    def _method(self, kind: str, behaviour: str = "ok") -> dict:
        pm_id = f"pm_{behaviour}_{next(self.ids):06d}"
        if kind == "sepa_debit":
            details: dict[str, Any] = {
                "sepa_debit": {"country": "IT", "last4": "3456", "bank_code": "05428"}
            }
        else:
            details = {
                "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030}
            }
        method = {"id": pm_id, "object": "payment_method", "type": kind, **details}
        self.methods[pm_id] = method
        return method

    def _intent(
        self, amount, currency, metadata, *, status, method=None, sfu=None, error=None
    ) -> dict:
        intent = {
            "id": self.new_id("pi"),
            "object": "payment_intent",
            "amount": int(amount),
            "currency": currency,
            "status": status,
            "metadata": metadata or {},
            "payment_method": method["id"] if method else None,
            "setup_future_usage": sfu,
            "last_payment_error": error,
            "created": int(time.time()),
            "livemode": False,
            "mandate": "mandate_standin" if method and method["type"] == "sepa_debit" else None,
        }
        self.intents[intent["id"]] = intent
        if status == "succeeded":
            self.charges += 1
        return intent

    def _expanded_intent(self, intent: dict) -> dict:
        shown = dict(intent)
        if intent["payment_method"]:
            shown["payment_method"] = self.methods[intent["payment_method"]]
        return shown

    def complete_session(self, session_id: str, outcome: str = "succeeded") -> dict:
        """The client pays on Stripe's hosted page: 'succeeded' (card), 'processing' (a
        SEPA debit submitted), or 'requires_action' (3-D Secure not completed)."""
        with self.lock:
            session = self.sessions[session_id]
            method = self._method(session["payment_method_types"][0])
            intent = self._intent(
                session["amount_total"],
                "eur",
                session["payment_intent_data"].get("metadata"),
                status=outcome,
                method=method,
                sfu=session["payment_intent_data"].get("setup_future_usage"),
            )
            session["payment_intent"] = intent["id"]
            session["status"] = "complete"
            session["payment_status"] = "paid" if outcome == "succeeded" else "unpaid"
            return intent

    def settle_intent(self, intent_id: str, outcome: str):
        """A delayed method settles: 'succeeded', or 'failed' (the debit bounced)."""
        with self.lock:
            intent = self.intents[intent_id]
            if outcome == "succeeded":
                intent["status"] = "succeeded"
                self.charges += 1
            else:
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {
                    "code": "insufficient_funds",
                    "message": "The account has insufficient funds.",
                }
            return intent

    def stripe_event(
        self,
        event_type: str,
        obj: dict,
        *,
        event_id: str | None = None,
        timestamp: int | None = None,
        secret: str = STRIPE_WEBHOOK_SECRET,
    ):
        payload = {
            "id": event_id or self.new_id("evt"),
            "object": "event",
            "type": event_type,
            "api_version": "2025-01-27.acacia",
            "created": int(time.time()),
            "data": {"object": obj},
            "livemode": False,
        }
        body = json.dumps(payload).encode()
        stamp = timestamp or int(time.time())
        signature = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        return body, {"Stripe-Signature": f"t={stamp},v1={signature.hexdigest()}"}

    # --- PayPal objects

    def _capture(self, order: dict, status: str = "COMPLETED") -> dict:
        unit = order["purchase_units"][0]
        capture = {
            "id": self.new_id("CAP").upper(),
            "status": status,
            "amount": unit["amount"],
            "custom_id": unit.get("custom_id"),
            "final_capture": True,
            "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        unit["payments"] = {"captures": [capture]}
        order["status"] = "COMPLETED"
        if status == "COMPLETED":
            self.charges += 1
        return capture

    def approve_order(self, order_id: str):
        with self.lock:
            order = self.orders[order_id]
            order["status"] = "APPROVED"
            wallet = order.setdefault("payment_source", {}).setdefault("paypal", {})
            wallet["email_address"] = "buyer@example.org"
            return order

    def paypal_event(
        self,
        event_type: str,
        resource: dict,
        *,
        event_id: str | None = None,
        sent_at: datetime | None = None,
        sign_with=None,
    ):
        payload = {
            "id": event_id or self.new_id("WH").upper(),
            "event_version": "1.0",
            "event_type": event_type,
            "resource_type": "checkout-order" if event_type.startswith("CHECKOUT.") else "capture",
            "resource": resource,
            "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        body = json.dumps(payload).encode()
        transmission_id = self.new_id("tx")
        sent = (sent_at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        message = f"{transmission_id}|{sent}|{PAYPAL_WEBHOOK_ID}|{zlib.crc32(body)}".encode()
        signature = (sign_with or self.key).sign(message, padding.PKCS1v15(), hashes.SHA256())
        return body, {
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": sent,
            "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(),
            "PAYPAL-CERT-URL": f"{self.url}/v1/notifications/certs/CERT-standin",
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
        }

    # --- HTTP

    def _handler(standin):  # noqa: N805
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, content_type="application/json", headers=()):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers:
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length).decode() if length else ""

            def do_GET(self):
                self._route("GET", "")

            def do_POST(self):
                self._route("POST", self._body())

            def _route(self, method, body):
                parts = urlsplit(self.path)
                path, query = parts.path, dict(parse_qsl(parts.query))
                standin.requests.append((method, path))
                if standin.delay:
                    time.sleep(standin.delay)
                key = self.headers.get("Idempotency-Key") or self.headers.get("PayPal-Request-Id")
                if method == "POST" and key:
                    with standin.lock:
                        known = standin.idempotent.get((path, key))
                    if known:
                        return self._send(*known)
                status, answer = standin.answer(method, path, query, body, self.headers)
                if isinstance(answer, tuple):  # a redirect or a page
                    kind, value = answer
                    if kind == "redirect":
                        self.send_response(303)
                        self.send_header("Location", value)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return None
                    return self._send(status, value.encode(), "text/html; charset=utf-8")
                if method == "POST" and key:
                    with standin.lock:
                        standin.idempotent[(path, key)] = (status, answer)
                    if key in standin.slow_keys:
                        # Done, but answered after the client stopped waiting.
                        standin.slow_keys.discard(key)
                        time.sleep(2.5)
                        return None
                return self._send(status, answer)

        return Handler

    def answer(self, method, path, query, body, headers):
        data = nested_form(body) if body and not body.startswith("{") else {}
        payload = json.loads(body) if body.startswith("{") else {}
        with self.lock:
            return self._answer(method, path, query, data, payload, body)

    def _answer(self, method, path, query, data, payload, raw):
        stripe_error = lambda status, code, message, **more: (  # noqa: E731
            status,
            {"error": {"type": "card_error", "code": code, "message": message, **more}},
        )
        # --- Stripe
        if path == "/v1/customers" and method == "POST":
            return 200, {"id": self.new_id("cus"), "object": "customer", "email": data.get("email")}
        if path == "/v1/checkout/sessions" and method == "POST":
            session_id = self.new_id("cs_test")
            total = sum(
                int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1))
                for i in data["line_items"]
            )
            session = {
                "id": session_id,
                "object": "checkout.session",
                "mode": "payment",
                "status": "open",
                "payment_status": "unpaid",
                "amount_total": total,
                "currency": "eur",
                "customer": data.get("customer"),
                "client_reference_id": data.get("client_reference_id"),
                "metadata": data.get("metadata", {}),
                "payment_intent": None,
                "payment_method_types": data.get("payment_method_types", ["card"]),
                "payment_intent_data": data.get("payment_intent_data", {}),
                "success_url": data["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id),
                "cancel_url": data.get("cancel_url"),
                "url": f"{self.url}/pay/stripe/{session_id}",
            }
            self.sessions[session_id] = session
            return 200, self._public_session(session)
        match = re.fullmatch(r"/v1/checkout/sessions/([\w]+)", path)
        if match and method == "GET":
            session = self.sessions.get(match[1])
            if session is None:
                return 404, {"error": {"type": "invalid_request_error", "message": "No such"}}
            shown = self._public_session(session)
            if session["payment_intent"]:
                shown["payment_intent"] = self._expanded_intent(
                    self.intents[session["payment_intent"]]
                )
            return 200, shown
        match = re.fullmatch(r"/v1/payment_intents/(\w+)", path)
        if match and method == "GET":
            return 200, self._expanded_intent(self.intents[match[1]])
        if path == "/v1/payment_intents" and method == "GET":
            since = int(query.get("created[gte]", 0))
            found = [i for i in self.intents.values() if i["created"] >= since]
            return 200, {
                "object": "list",
                "data": found,
                "has_more": False,
                "url": "/v1/payment_intents",
            }
        if path == "/v1/payment_intents" and method == "POST":
            token = data["payment_method"]
            method_ = self.methods.get(token) or self._method(
                data.get("payment_method_types", ["card"])[0], "saved"
            )
            metadata = data.get("metadata", {})
            if "3ds" in token:
                intent = self._intent(
                    data["amount"],
                    data["currency"],
                    metadata,
                    status="requires_payment_method",
                    method=method_,
                )
                return stripe_error(
                    402,
                    "authentication_required",
                    "Your card was declined. This transaction requires authentication.",
                    payment_intent=intent,
                )
            if "declined" in token:
                intent = self._intent(
                    data["amount"],
                    data["currency"],
                    metadata,
                    status="requires_payment_method",
                    method=method_,
                )
                return stripe_error(
                    402,
                    "card_declined",
                    "Your card was declined.",
                    decline_code="generic_decline",
                    payment_intent=intent,
                )
            status = "processing" if method_["type"] == "sepa_debit" else "succeeded"
            return 200, self._expanded_intent(
                self._intent(
                    data["amount"], data["currency"], metadata, status=status, method=method_
                )
            )
        if path == "/v1/refunds" and method == "POST" and self.refuse_refunds:
            return 400, {
                "error": {
                    "type": "invalid_request_error",
                    "code": "charge_disputed",
                    "message": "The charge has been disputed and cannot be refunded.",
                }
            }
        if path == "/v1/refunds" and method == "POST":
            refund = {
                "id": self.new_id("re"),
                "object": "refund",
                "status": "succeeded",
                "amount": int(data["amount"]),
                "payment_intent": data.get("payment_intent"),
            }
            self.refunds.append(refund)
            return 200, refund
        # --- PayPal
        if path == "/v1/oauth2/token":
            return 200, {
                "access_token": "A21AA-standin",
                "token_type": "Bearer",
                "expires_in": 32400,
                "scope": "https://uri.paypal.com/services/payments",
            }
        if path == "/v1/notifications/certs/CERT-standin":
            return 200, self.cert_pem
        if path == "/v2/checkout/orders" and method == "POST":
            order_id = self.new_id("ORDER").upper().replace("_", "")
            wallet = (payload.get("payment_source") or {}).get("paypal") or {}
            order = {
                "id": order_id,
                "intent": payload["intent"],
                "status": "PAYER_ACTION_REQUIRED",
                "purchase_units": payload["purchase_units"],
                "payment_source": {"paypal": {}},
                "create_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "links": [
                    {
                        "href": f"{self.url}/v2/checkout/orders/{order_id}",
                        "rel": "self",
                        "method": "GET",
                    },
                    {
                        "href": f"{self.url}/pay/paypal/{order_id}",
                        "rel": "payer-action",
                        "method": "GET",
                    },
                ],
            }
            context = wallet.get("experience_context") or {}
            order["_return"], order["_cancel"] = (
                context.get("return_url"),
                context.get("cancel_url"),
            )
            order["_vault"] = bool((wallet.get("attributes") or {}).get("vault"))
            self.orders[order_id] = order
            if wallet.get("vault_id"):
                # A vaulted wallet is charged at once, without the buyer.
                order["payment_source"]["paypal"] = {"email_address": "buyer@example.org"}
                self._capture(order)
            return 201 if order["status"] != "COMPLETED" else 201, self._public_order(order)
        match = re.fullmatch(r"/v2/checkout/orders/(\w+)(/capture)?", path)
        if match:
            order = self.orders.get(match[1])
            if order is None:
                return 404, {"name": "RESOURCE_NOT_FOUND", "message": "not found"}
            if match[2] and method == "POST":
                if order["status"] == "COMPLETED":
                    return 422, {
                        "name": "UNPROCESSABLE_ENTITY",
                        "details": [{"issue": "ORDER_ALREADY_CAPTURED"}],
                        "message": "already captured",
                    }
                if order["status"] != "APPROVED":
                    return 422, {
                        "name": "UNPROCESSABLE_ENTITY",
                        "details": [{"issue": "ORDER_NOT_APPROVED"}],
                        "message": "not approved",
                    }
                self._capture(order)
                if order["_vault"]:
                    order["payment_source"]["paypal"]["attributes"] = {
                        "vault": {
                            "id": self.new_id("vault"),
                            "status": "VAULTED",
                            "customer": {"id": "cust-standin"},
                        }
                    }
                return 201, self._public_order(order)
            return 200, self._public_order(order)
        match = re.fullmatch(r"/v2/payments/captures/(\w+)/refund", path)
        if match and method == "POST":
            refund = {
                "id": self.new_id("REF").upper(),
                "status": "COMPLETED",
                "amount": payload.get("amount"),
            }
            self.refunds.append(refund)
            return 201, refund
        if path == "/v1/reporting/transactions":
            details = []
            for order in self.orders.values():
                for capture in (order["purchase_units"][0].get("payments") or {}).get(
                    "captures"
                ) or []:
                    details.append(
                        {
                            "transaction_info": {
                                "transaction_id": capture["id"],
                                "transaction_status": "S",
                                "custom_field": capture.get("custom_id"),
                                "transaction_amount": capture["amount"],
                            }
                        }
                    )
            return 200, {"transaction_details": details, "page": 1, "total_pages": 1}
        # --- hosted pages (the buyer's side)
        match = re.fullmatch(r"/pay/(stripe|paypal)/(\w+)", path)
        if match and method == "GET":
            return 200, (
                "page",
                (
                    "<!doctype html><html><head><title>Pay</title></head><body>"
                    f"<h1>Stand-in {match[1]} checkout</h1>"
                    f'<form method="post" action="/pay/{match[1]}/{match[2]}">'
                    '<button type="submit" id="pay">Pay</button></form></body></html>'
                ),
            )
        if match and method == "POST":
            return self._hosted_paid(match[1], match[2])
        return 404, {"error": {"type": "invalid_request_error", "message": f"{method} {path}"}}

    def _hosted_paid(self, provider, object_id):
        if provider == "stripe":
            session = self.sessions[object_id]
            self.lock.release()
            try:
                intent = self.complete_session(object_id)
                if self.webhook_url:
                    # Stripe's event often reaches the shop before the buyer's browser.
                    obj = dict(self.sessions[object_id])
                    body, headers = self.stripe_event("checkout.session.completed", obj)
                    self.post(self.webhook_url, body, headers)
                del intent
            finally:
                self.lock.acquire()
            return 303, ("redirect", session["success_url"])
        order = self.orders[object_id]
        self.lock.release()
        try:
            approved = self.approve_order(object_id)
            if self.paypal_webhook_url:
                # PayPal's approval event may also come before the buyer is back.
                body, headers = self.paypal_event(
                    "CHECKOUT.ORDER.APPROVED", self._public_order(approved)
                )
                self.post(self.paypal_webhook_url, body, headers)
        finally:
            self.lock.acquire()
        return 303, ("redirect", f"{order['_return']}?token={object_id}&PayerID=STANDINPAYER")

    @staticmethod
    def post(url, body, headers):
        request = Request(url, data=body, headers={"Content-Type": "application/json", **headers})
        with urlopen(request, timeout=10) as response:  # noqa: S310 (loopback only)
            return response.status

    @staticmethod
    def _public_session(session):
        return {k: v for k, v in session.items() if k != "payment_intent_data"}

    @staticmethod
    def _public_order(order):
        return {k: v for k, v in order.items() if not k.startswith("_")}
