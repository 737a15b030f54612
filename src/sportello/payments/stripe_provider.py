"""Stripe, through the official `stripe` SDK: Checkout Sessions for cards and SEPA Direct
Debit (3-D Secure on Stripe's page), `setup_future_usage` to keep the method, off-session
PaymentIntents for renewals, refunds, and events signed with the `Stripe-Signature` scheme."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import stripe

from sportello.core.money import cents

from .models import Checkout, Method, PaymentSettings, ProviderCustomer, SavedMethod
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

# Events older than this are refused even with a good signature (Stripe's own default).
TOLERANCE_SECONDS = 300


def to_minor(amount: Decimal) -> int:
    return int(cents(amount) * 100)


def from_minor(amount: int | None) -> Decimal:
    return Decimal(amount or 0) / 100


def _checkout_id(metadata: Any) -> int | None:
    try:
        return int((metadata or {}).get("checkout", ""))
    except (TypeError, ValueError):
        return None


class StripeProvider:
    name = "stripe"
    title = "Stripe"
    capabilities = Capabilities(
        methods=(Method.CARD, Method.SEPA_DEBIT),
        save_method=True,
        off_session=True,
        refund=True,
        partial_refund=True,
        delayed_methods=(Method.SEPA_DEBIT,),
    )

    def __init__(self, settings: PaymentSettings) -> None:
        self.settings = settings

    def configured(self) -> bool:
        return bool(self.settings.stripe_secret_key and self.settings.stripe_webhook_secret)

    def enabled_methods(self) -> list[str]:
        if not self.configured():
            return []
        methods = []
        if self.settings.stripe_enabled:
            methods.append(Method.CARD.value)
        if self.settings.stripe_sepa_enabled:
            methods.append(Method.SEPA_DEBIT.value)
        return methods

    def form_action_origins(self) -> list[str]:
        origins = ["https://checkout.stripe.com"]
        if self.settings.stripe_api_base:
            parts = urlsplit(self.settings.stripe_api_base)
            origins.append(f"{parts.scheme}://{parts.netloc}")
        return origins

    @property
    def client(self) -> stripe.StripeClient:
        base = self.settings.stripe_api_base.rstrip("/")
        return stripe.StripeClient(
            self.settings.stripe_secret_key,
            base_addresses={"api": base} if base else None,
            # A request that timed out is sent again with the same idempotency key, which
            # Stripe answers with the first result instead of charging twice.
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=TIMEOUT),
        )

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except stripe.CardError:
            raise
        except stripe.StripeError as error:
            raise ProviderError(str(error.user_message or error)) from error

    def customer(self, checkout: Checkout) -> str:
        client = checkout.client
        known = ProviderCustomer.objects.filter(
            client=client, provider=self.name, mode=self.settings.mode
        ).first()
        if known:
            return known.customer_id
        customer = self._call(
            self.client.v1.customers.create,
            params={
                "email": client.owner.email,
                "name": client.display_name,
                "metadata": {"client": str(client.pk)},
            },
            options={"idempotency_key": f"sportello-customer-{client.pk}-{self.settings.mode}"},
        )
        ProviderCustomer.objects.get_or_create(
            client=client, provider=self.name, mode=self.settings.mode,
            defaults={"customer_id": customer.id},
        )  # fmt: skip
        return str(customer.id)

    def start_checkout(self, checkout: Checkout, return_url: str,
                       cancel_url: str) -> CheckoutStart:  # fmt: skip
        metadata = {"checkout": str(checkout.pk), "client": str(checkout.client_id)}
        intent: dict[str, Any] = {"metadata": metadata}
        if checkout.save_method:
            intent["setup_future_usage"] = "off_session"
        separator = "&" if "?" in return_url else "?"
        session = self._call(
            self.client.v1.checkout.sessions.create,
            params={
                "mode": "payment",
                "customer": self.customer(checkout),
                "client_reference_id": str(checkout.pk),
                "metadata": metadata,
                "payment_method_types": [checkout.method],
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": "eur",
                            "unit_amount": to_minor(item.amount),
                            "product_data": {"name": item.invoice.display_number},
                        },
                    }
                    for item in checkout.items.select_related("invoice")
                ],
                "payment_intent_data": intent,
                "success_url": f"{return_url}{separator}session_id={{CHECKOUT_SESSION_ID}}",
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": f"sportello-checkout-{checkout.pk}"},
        )
        return CheckoutStart(session_id=session.id, redirect_url=session.url or "")

    def _intent_state(self, intent: dict[str, Any], checkout_id: int | None) -> PaymentState:
        """`intent` as a plain dict (the SDK object's `to_dict()`)."""
        status = intent.get("status")
        error = intent.get("last_payment_error") or {}
        state = PaymentState(
            status="open",
            payment_id=str(intent["id"]),
            amount=from_minor(intent.get("amount")),
            currency=str(intent.get("currency", "eur")).upper(),
            checkout=checkout_id or _checkout_id(intent.get("metadata")),
        )
        if status == "succeeded":
            state.status = "succeeded"
        elif status == "processing":
            state.status = "pending"
        elif status == "requires_action":
            state.status = "action"
        elif status == "canceled" or (status == "requires_payment_method" and error):
            state.status = "failed"
            state.failure = str(error.get("message") or error.get("code") or status)
            if error.get("code") == "authentication_required":
                state.status = "action"
        method = intent.get("payment_method")
        details = method if isinstance(method, dict) else None
        method_id = details["id"] if details else str(method or "")
        if intent.get("setup_future_usage") == "off_session" and method_id:
            state.saved_token = method_id
            state.saved_label = self._label(details)
            state.method = str(details.get("type", "")) if details else ""
            if details and details.get("type") == "sepa_debit":
                state.mandate = str(intent.get("mandate") or "")
        return state

    @staticmethod
    def _label(method: dict[str, Any] | None) -> str:
        if not method:
            return "Stripe"
        if method.get("type") == "card":
            card = method.get("card") or {}
            return f"{str(card.get('brand', '')).title()} ···· {card.get('last4', '')}"
        if method.get("type") == "sepa_debit":
            debit = method.get("sepa_debit") or {}
            return f"SEPA {debit.get('country', '')} ···· {debit.get('last4', '')}"
        return str(method.get("type"))

    def checkout_state(self, checkout: Checkout) -> PaymentState:
        expand = ["payment_intent", "payment_intent.payment_method"]
        if checkout.session_id:
            session = self._call(
                self.client.v1.checkout.sessions.retrieve,
                checkout.session_id, params={"expand": expand},
            ).to_dict()  # fmt: skip
            intent = session.get("payment_intent")
            if not isinstance(intent, dict):
                status = "failed" if session.get("status") == "expired" else "open"
                return PaymentState(
                    status=status, checkout=checkout.pk, failure=str(session.get("status"))
                )
            return self._intent_state(intent, checkout.pk)
        if checkout.payment_id:
            intent = self._call(
                self.client.v1.payment_intents.retrieve,
                checkout.payment_id, params={"expand": ["payment_method"]},
            ).to_dict()  # fmt: skip
            return self._intent_state(intent, checkout.pk)
        return PaymentState(status="open", checkout=checkout.pk)

    def charge_saved(self, checkout: Checkout, method: SavedMethod, key: str) -> PaymentState:
        params: dict[str, Any] = {
            "amount": to_minor(checkout.charged_amount),
            "currency": checkout.currency.lower(),
            "customer": self.customer(checkout),
            "payment_method": method.token,
            "payment_method_types": [method.method],
            "off_session": True,
            "confirm": True,
            "metadata": {"checkout": str(checkout.pk), "client": str(checkout.client_id)},
        }
        if method.mandate:
            params["mandate"] = method.mandate
        try:
            intent = self._call(
                self.client.v1.payment_intents.create,
                params=params, options={"idempotency_key": key},
            )  # fmt: skip
        except stripe.CardError as error:
            json_body: Any = error.json_body or {}
            body = json_body.get("error") or {}
            intent_body = body.get("payment_intent") or {}
            status = "action" if error.code == "authentication_required" else "failed"
            return PaymentState(
                status=status, payment_id=intent_body.get("id", ""), checkout=checkout.pk,
                failure=str(error.user_message or error.code or "declined"),
            )  # fmt: skip
        return self._intent_state(intent.to_dict(), checkout.pk)

    def refund(self, checkout: Checkout, amount: Decimal, key: str) -> RefundResult:
        refund = self._call(
            self.client.v1.refunds.create,
            params={"payment_intent": checkout.payment_id, "amount": to_minor(amount)},
            options={"idempotency_key": key},
        )
        status = {"succeeded": "succeeded", "pending": "pending"}.get(refund.status, "failed")
        return RefundResult(refund_id=refund.id, status=status)

    def parse_event(self, body: bytes, headers: dict[str, str], now: datetime) -> Event:
        signature = headers.get("stripe-signature", "")
        try:
            # Checks every v1 signature against the secret, and the timestamp's age.
            stripe.WebhookSignature.verify_header(
                body.decode("utf-8"), signature, self.settings.stripe_webhook_secret,
                TOLERANCE_SECONDS,
            )  # fmt: skip
            payload = json.loads(body)
            obj = payload["data"]["object"]
            return Event(
                event_id=str(payload["id"]), type=str(payload["type"]),
                object_id=str(obj.get("id", "")), payload=payload,
                checkout=_checkout_id(obj.get("metadata")),
            )  # fmt: skip
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError, KeyError,
                TypeError, AttributeError) as error:  # fmt: skip
            raise InvalidEvent(str(error)) from error

    def recent_payments(self, since: datetime, until: datetime) -> list[PaymentState]:
        page = self._call(
            self.client.v1.payment_intents.list,
            params={"created": {"gte": int(since.timestamp()), "lte": int(until.timestamp())},
                    "limit": 100},
        )  # fmt: skip
        return [
            self._intent_state(intent.to_dict(), None)
            for intent in page.auto_paging_iter()
            if intent.status in ("succeeded", "processing")
        ]
