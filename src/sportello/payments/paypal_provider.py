"""PayPal, through the official `paypal-server-sdk`: Orders v2 with capture when the client
comes back (or when PayPal tells us the order was approved), the PayPal wallet vaulted for
renewals where the account allows it, refunds of captures, the transaction search for the
nightly reconciliation, and webhooks checked with PayPal's documented signature (RSA-SHA256
over transmission id, time, webhook id and the body's CRC32, with PayPal's certificate)."""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from paypalserversdk.configuration import Configuration, Environment
from paypalserversdk.http.auth.o_auth_2 import ClientCredentialsAuthCredentials
from paypalserversdk.models.amount_with_breakdown import AmountWithBreakdown
from paypalserversdk.models.checkout_payment_intent import CheckoutPaymentIntent
from paypalserversdk.models.money import Money
from paypalserversdk.models.order_request import OrderRequest
from paypalserversdk.models.payment_source import PaymentSource
from paypalserversdk.models.paypal_wallet import PaypalWallet
from paypalserversdk.models.paypal_wallet_attributes import PaypalWalletAttributes
from paypalserversdk.models.paypal_wallet_experience_context import (
    PaypalWalletExperienceContext,
)
from paypalserversdk.models.paypal_wallet_vault_instruction import PaypalWalletVaultInstruction
from paypalserversdk.models.purchase_unit_request import PurchaseUnitRequest
from paypalserversdk.models.refund_request import RefundRequest
from paypalserversdk.paypal_serversdk_client import PaypalServersdkClient

from .models import Checkout, Method, PaymentSettings, SavedMethod
from .providers import (
    TIMEOUT,
    Capabilities,
    CheckoutStart,
    Event,
    InvalidEvent,
    PaymentState,
    ProviderError,
    RefundResult,
)

LIVE_API = "https://api-m.paypal.com"
SANDBOX_API = "https://api-m.sandbox.paypal.com"
# A transmission older than this is refused even with a good signature.
TOLERANCE = timedelta(minutes=5)
# Attempts of a request that timed out, each with the same PayPal-Request-Id.
ATTEMPTS = 3
_certificates: dict[str, x509.Certificate] = {}


class _Configuration(Configuration):
    """The SDK's configuration with the API address taken from the settings (PayPal's
    sandbox or live API, or another address in front of them)."""

    def __init__(self, base_uri: str, **kwargs: Any) -> None:
        self.base_uri = base_uri
        super().__init__(**kwargs)

    def get_base_uri(self, server: Any = None) -> str:
        return self.base_uri

    def clone_with(self, **kwargs: Any) -> _Configuration:  # the SDK clones on token refresh
        clone = super().clone_with(**kwargs)
        clone.__class__ = _Configuration
        clone.base_uri = self.base_uri
        return clone


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return Decimal(0)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class PayPalProvider:
    name = "paypal"
    title = "PayPal"
    capabilities = Capabilities(
        methods=(Method.PAYPAL,), save_method=True, off_session=True, refund=True,
        partial_refund=True,
    )  # fmt: skip

    def __init__(self, settings: PaymentSettings) -> None:
        self.settings = settings

    def configured(self) -> bool:
        return bool(self.settings.paypal_client_id and self.settings.paypal_client_secret)

    def enabled_methods(self) -> list[str]:
        return [Method.PAYPAL.value] if self.settings.paypal_enabled and self.configured() else []

    @property
    def api_base(self) -> str:
        if self.settings.paypal_api_base:
            return self.settings.paypal_api_base.rstrip("/")
        return LIVE_API if self.settings.mode == PaymentSettings.Mode.LIVE else SANDBOX_API

    def form_action_origins(self) -> list[str]:
        live = self.settings.mode == PaymentSettings.Mode.LIVE
        origins = ["https://www.paypal.com" if live else "https://www.sandbox.paypal.com"]
        if self.settings.paypal_api_base:
            parts = urlsplit(self.settings.paypal_api_base)
            origins.append(f"{parts.scheme}://{parts.netloc}")
        return origins

    @property
    def client(self) -> PaypalServersdkClient:
        live = self.settings.mode == PaymentSettings.Mode.LIVE
        config = _Configuration(
            self.api_base,
            timeout=TIMEOUT,
            environment=Environment.PRODUCTION if live else Environment.SANDBOX,
            client_credentials_auth_credentials=ClientCredentialsAuthCredentials(
                o_auth_client_id=self.settings.paypal_client_id,
                o_auth_client_secret=self.settings.paypal_client_secret,
            ),
        )
        return PaypalServersdkClient(config=config)

    def _call(self, fn: Any, options: dict[str, Any]) -> dict[str, Any]:
        """One SDK call; a time-out or a dropped connection is retried with the same
        PayPal-Request-Id, which PayPal answers with the first result."""
        last: Exception | None = None
        for _attempt in range(ATTEMPTS if options.get("paypal_request_id") else 1):
            try:
                response = fn(options)
            except Exception as error:  # the SDK raises its own and the transport's errors
                body = getattr(error, "response", None)
                text = getattr(body, "text", "") if body is not None else ""
                status = getattr(error, "response_code", None)
                if status is not None:
                    raise ProviderError(f"{status} {text}"[:300]) from error
                last = error
                continue
            return json.loads(response.text or "{}")
        raise ProviderError(str(last)[:300]) from last

    def _amount(self, checkout: Checkout) -> tuple[str, str]:
        return checkout.currency, f"{checkout.charged_amount:.2f}"

    def start_checkout(self, checkout: Checkout, return_url: str,
                       cancel_url: str) -> CheckoutStart:  # fmt: skip
        currency, value = self._amount(checkout)
        wallet = PaypalWallet(
            experience_context=PaypalWalletExperienceContext(
                return_url=return_url, cancel_url=cancel_url, user_action="PAY_NOW",
                shipping_preference="NO_SHIPPING",
            ),
        )  # fmt: skip
        if checkout.save_method:
            wallet.attributes = PaypalWalletAttributes(
                vault=PaypalWalletVaultInstruction(
                    usage_type="MERCHANT", store_in_vault="ON_SUCCESS"
                )
            )
        numbers = ", ".join(item.invoice.display_number for item in checkout.items.all())
        order = self._call(
            self.client.orders.create_order,
            {
                "body": OrderRequest(
                    intent=CheckoutPaymentIntent.CAPTURE,
                    purchase_units=[
                        PurchaseUnitRequest(
                            reference_id=f"checkout-{checkout.pk}",
                            custom_id=str(checkout.pk),
                            description=numbers[:127],
                            amount=AmountWithBreakdown(currency_code=currency, value=value),
                        )
                    ],
                    payment_source=PaymentSource(paypal=wallet),
                ),
                "paypal_request_id": f"sportello-checkout-{checkout.pk}",
                "prefer": "return=representation",
            },
        )
        links = {link.get("rel"): link.get("href") for link in order.get("links", [])}
        return CheckoutStart(
            session_id=str(order["id"]),
            redirect_url=links.get("payer-action") or links.get("approve") or "",
        )

    def _order_state(self, order: dict[str, Any], checkout_id: int | None) -> PaymentState:
        units = order.get("purchase_units") or [{}]
        unit = units[0]
        state = PaymentState(status="open", checkout=checkout_id or _int(unit.get("custom_id")))
        captures = (unit.get("payments") or {}).get("captures") or []
        if captures:
            capture = captures[0]
            state.payment_id = str(capture.get("id", ""))
            amount = capture.get("amount") or {}
            state.amount = _money(amount.get("value"))
            state.currency = str(amount.get("currency_code", "EUR"))
            state.status = {"COMPLETED": "succeeded", "PENDING": "pending"}.get(
                capture.get("status"), "failed"
            )
            if state.status == "failed":
                reason = (capture.get("status_details") or {}).get("reason")
                state.failure = str(reason or capture.get("status"))
        elif order.get("status") == "VOIDED":
            state.status, state.failure = "failed", "VOIDED"
        paypal = (order.get("payment_source") or {}).get("paypal") or {}
        vault = (paypal.get("attributes") or {}).get("vault") or {}
        if vault.get("id") and vault.get("status") in (None, "VAULTED"):
            state.saved_token = str(vault["id"])
            state.saved_label = f"PayPal {paypal.get('email_address', '')}".strip()
            state.method = Method.PAYPAL
        return state

    def checkout_state(self, checkout: Checkout) -> PaymentState:
        order_id = checkout.session_id or checkout.payment_id
        if not order_id:
            return PaymentState(status="open", checkout=checkout.pk)
        order = self._call(self.client.orders.get_order, {"id": order_id})
        if order.get("status") == "APPROVED":
            # Capture on return (or on the approval event, whichever comes first): the
            # request id makes a second capture of the same order answer the first.
            try:
                order = self._call(
                    self.client.orders.capture_order,
                    {"id": order_id, "paypal_request_id": f"sportello-capture-{checkout.pk}",
                     "prefer": "return=representation"},
                )  # fmt: skip
            except ProviderError as error:
                return PaymentState(status="failed", checkout=checkout.pk, failure=str(error))
        return self._order_state(order, checkout.pk)

    def charge_saved(self, checkout: Checkout, method: SavedMethod, key: str) -> PaymentState:
        currency, value = self._amount(checkout)
        try:
            order = self._call(
                self.client.orders.create_order,
                {
                    "body": OrderRequest(
                        intent=CheckoutPaymentIntent.CAPTURE,
                        purchase_units=[
                            PurchaseUnitRequest(
                                reference_id=f"checkout-{checkout.pk}",
                                custom_id=str(checkout.pk),
                                amount=AmountWithBreakdown(currency_code=currency, value=value),
                            )
                        ],
                        payment_source=PaymentSource(paypal=PaypalWallet(vault_id=method.token)),
                    ),
                    "paypal_request_id": key,
                    "prefer": "return=representation",
                },
            )
        except ProviderError as error:
            return PaymentState(status="failed", checkout=checkout.pk, failure=str(error))
        state = self._order_state(order, checkout.pk)
        if not state.payment_id and order.get("status") == "PAYER_ACTION_REQUIRED":
            state.status = "action"
        return state

    def refund(self, checkout: Checkout, amount: Decimal, key: str) -> RefundResult:
        refund = self._call(
            self.client.payments.refund_captured_payment,
            {
                "capture_id": checkout.payment_id,
                "body": RefundRequest(
                    amount=Money(currency_code=checkout.currency, value=f"{amount:.2f}")
                ),
                "paypal_request_id": key,
                "prefer": "return=representation",
            },
        )
        status = {"COMPLETED": "succeeded", "PENDING": "pending"}.get(str(refund.get("status")))
        return RefundResult(refund_id=str(refund.get("id", "")), status=status or "failed")

    # --- events

    def _certificate(self, url: str) -> x509.Certificate:
        parts = urlsplit(url)
        own = urlsplit(self.api_base)
        paypal = parts.scheme == "https" and (parts.hostname or "").endswith(
            (".paypal.com", ".paypalobjects.com")
        )
        if not paypal and (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
            raise InvalidEvent(f"certificate from an unknown host: {parts.netloc}")
        if url not in _certificates:
            response = httpx.get(url, timeout=TIMEOUT)
            response.raise_for_status()
            _certificates[url] = x509.load_pem_x509_certificate(response.content)
        return _certificates[url]

    def parse_event(self, body: bytes, headers: dict[str, str], now: datetime) -> Event:
        try:
            transmission_id = headers["paypal-transmission-id"]
            sent_at = headers["paypal-transmission-time"]
            signature = base64.b64decode(headers["paypal-transmission-sig"], validate=True)
            if headers.get("paypal-auth-algo", "SHA256withRSA") != "SHA256withRSA":
                raise InvalidEvent("unsupported algorithm")
            sent = datetime.fromisoformat(sent_at.replace("Z", "+00:00"))
            if sent.tzinfo is None:
                sent = sent.replace(tzinfo=UTC)
            if abs(now - sent) > TOLERANCE:
                raise InvalidEvent("transmission time outside the tolerance")
            message = f"{transmission_id}|{sent_at}|{self.settings.paypal_webhook_id}|"
            message += str(zlib.crc32(body))
            certificate = self._certificate(headers["paypal-cert-url"])
            key = certificate.public_key()
            if not isinstance(key, rsa.RSAPublicKey):
                raise InvalidEvent("the certificate's key is not RSA")
            key.verify(signature, message.encode(), padding.PKCS1v15(), hashes.SHA256())
            payload = json.loads(body)
            resource = payload["resource"]
            related = (resource.get("supplementary_data") or {}).get("related_ids") or {}
            checkout = _int(resource.get("custom_id"))
            if checkout is None:
                units = resource.get("purchase_units") or [{}]
                checkout = _int(units[0].get("custom_id"))
            return Event(
                event_id=str(payload["id"]), type=str(payload["event_type"]),
                object_id=str(related.get("order_id") or resource.get("id", "")),
                payload=payload, checkout=checkout,
            )  # fmt: skip
        except InvalidEvent:
            raise
        except (KeyError, ValueError, TypeError, AttributeError, binascii.Error,
                InvalidSignature, httpx.HTTPError) as error:  # fmt: skip
            raise InvalidEvent(f"{type(error).__name__}: {error}") from error

    def recent_payments(self, since: datetime, until: datetime) -> list[PaymentState]:
        found = self._call(
            self.client.transaction_search.search_transactions,
            {
                "start_date": since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "end_date": until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "transaction_status": "S",
                "fields": "transaction_info",
                "page_size": 500,
            },
        )
        states = []
        for detail in found.get("transaction_details", []):
            info = detail.get("transaction_info") or {}
            amount = info.get("transaction_amount") or {}
            states.append(
                PaymentState(
                    status="succeeded",
                    payment_id=str(info.get("transaction_id", "")),
                    amount=_money(amount.get("value")),
                    currency=str(amount.get("currency_code", "EUR")),
                    checkout=_int(info.get("custom_field")),
                )  # fmt: skip
            )
        return states
