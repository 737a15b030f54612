"""Blocks that apps above billing add to an invoice's pages and PDF, registered at start-up
(`AppConfig.ready`): `fn(invoice, place) -> HTML`, place being "desk", "panel" or "pdf";
and blocks for a client's pages of invoices: `fn(client, place) -> HTML`, place being
"invoices" (the client's list of invoices)."""

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

from sportello.accounts.models import Client

from .models import Invoice

InvoiceBlock = Callable[[Invoice, str], str]
_blocks: list[InvoiceBlock] = []


def register_invoice_block(block: InvoiceBlock) -> None:
    if block not in _blocks:
        _blocks.append(block)


def invoice_blocks(invoice: Invoice, place: str) -> SafeString:
    """The registered blocks' HTML, each rendered by its app's own (escaping) template."""
    return mark_safe("".join(block(invoice, place) for block in _blocks))  # noqa: S308


ClientBlock = Callable[[Client, str], str]
_client_blocks: list[ClientBlock] = []


def register_client_block(block: ClientBlock) -> None:
    if block not in _client_blocks:
        _client_blocks.append(block)


def client_blocks(client: Client, place: str) -> SafeString:
    return mark_safe("".join(block(client, place) for block in _client_blocks))  # noqa: S308
