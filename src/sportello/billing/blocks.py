"""Blocks that apps above billing add to an invoice's pages and PDF, registered at start-up
(`AppConfig.ready`): `fn(invoice, place) -> HTML`, place being "desk", "panel" or "pdf"."""

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

from .models import Invoice

InvoiceBlock = Callable[[Invoice, str], str]
_blocks: list[InvoiceBlock] = []


def register_invoice_block(block: InvoiceBlock) -> None:
    if block not in _blocks:
        _blocks.append(block)


def invoice_blocks(invoice: Invoice, place: str) -> SafeString:
    """The registered blocks' HTML, each rendered by its app's own (escaping) template."""
    return mark_safe("".join(block(invoice, place) for block in _blocks))  # noqa: S308
