"""The payment-provider interface, and the registry of providers by name.

A provider is a class taking the `PaymentSettings` row; what it can do is in its
`capabilities`. Providers are found by name: the built-in ones below, and any package that
declares an entry point in the group ``sportello.payment_providers`` (name = "module:Class"),
so a third party can ship one as a package."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .models import Checkout, PaymentSettings, SavedMethod

ENTRY_POINT_GROUP = "sportello.payment_providers"
BUILT_IN = {
    "stripe": "sportello.payments.stripe_provider:StripeProvider",
    "paypal": "sportello.payments.paypal_provider:PayPalProvider",
}
# Seconds to wait for a provider's answer before giving up (and retrying with the same
# idempotency key).
TIMEOUT = 20


class ProviderError(Exception):
    """The provider could not be reached or refused the request; nothing was charged that
    we know of (a retry with the same idempotency key is safe)."""


class InvalidEvent(Exception):
    """A webhook whose signature, timestamp or body does not check out."""


@dataclass(frozen=True)
class Capabilities:
    methods: tuple[str, ...]  # Method values
    redirect: bool = True  # the client is sent to the provider's page
    save_method: bool = False  # a method can be saved for renewals
    off_session: bool = False  # a saved method can be charged without the client
    refund: bool = False
    partial_refund: bool = False
    delayed_methods: tuple[str, ...] = ()  # settle days later (SEPA direct debit)


@dataclass
class CheckoutStart:
    session_id: str
    redirect_url: str


@dataclass
class PaymentState:
    """What the provider says of a payment now.

    status: "succeeded" (money taken), "pending" (on its way: a direct debit being
    collected), "failed", "action" (the client must authenticate), "open" (nothing done yet).
    """

    status: str
    payment_id: str = ""
    amount: Decimal = Decimal(0)  # in `currency`
    currency: str = "EUR"
    checkout: int | None = None  # our Checkout's id, from the metadata we sent
    failure: str = ""
    saved_token: str = ""
    saved_label: str = ""
    mandate: str = ""
    method: str = ""


@dataclass
class Event:
    event_id: str
    type: str
    object_id: str
    payload: dict = field(default_factory=dict)
    checkout: int | None = None  # our Checkout's id when the event names it


@dataclass
class RefundResult:
    refund_id: str
    status: str  # "succeeded", "pending", "failed"


class Provider(Protocol):
    name: str
    capabilities: Capabilities

    def __init__(self, settings: PaymentSettings) -> None: ...

    def configured(self) -> bool: ...

    def enabled_methods(self) -> list[str]: ...

    def start_checkout(self, checkout: Checkout, return_url: str,
                       cancel_url: str) -> CheckoutStart: ...  # fmt: skip

    def checkout_state(self, checkout: Checkout) -> PaymentState:
        """Ask the provider for the checkout's payment now (capturing what the client
        approved, where the provider needs it)."""
        ...

    def charge_saved(self, checkout: Checkout, method: SavedMethod, key: str) -> PaymentState: ...

    def refund(self, checkout: Checkout, amount: Decimal, key: str) -> RefundResult: ...

    def parse_event(self, body: bytes, headers: dict[str, str], now: datetime) -> Event: ...

    def recent_payments(self, since: datetime, until: datetime) -> list[PaymentState]: ...

    def form_action_origins(self) -> list[str]:
        """Where the client's browser is sent (for the pages' form-action policy)."""
        ...


def provider_names() -> list[str]:
    names = dict(BUILT_IN)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        names.setdefault(entry.name, entry.value)
    return sorted(names)


def _target(name: str) -> str:
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name == name:
            return str(entry.value)
    if name in BUILT_IN:
        return BUILT_IN[name]
    raise KeyError(name)


def provider_title(name: str) -> str:
    """The provider's name as people write it ("PayPal"), for pages; a provider class may
    say it in `title`."""
    try:
        module, _, attribute = _target(name).partition(":")
        cls = getattr(importlib.import_module(module), attribute)
    except (KeyError, ImportError, AttributeError):
        return name
    return str(getattr(cls, "title", name))


def get_provider(name: str, settings: PaymentSettings) -> Provider:
    module, _, attribute = _target(name).partition(":")
    cls = getattr(importlib.import_module(module), attribute)
    provider: Provider = cls(settings)
    return provider
