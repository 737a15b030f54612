"""Invoice arithmetic: line nets, VAT per rate on the sum of nets, totals."""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Protocol, TypedDict

from sportello.core.money import ZERO, cents, percent_of


class PricedLine(Protocol):
    """What the arithmetic reads from an invoice line."""

    @property
    def vat_rate(self) -> Decimal: ...
    @property
    def net(self) -> Decimal: ...


class VatRow(TypedDict):
    rate: Decimal
    net: Decimal
    vat: Decimal


def line_net(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return cents(Decimal(quantity) * Decimal(unit_price))


def vat_breakdown(lines: Iterable[PricedLine]) -> list[VatRow]:
    nets: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        nets[Decimal(line.vat_rate)] += line.net
    return [
        {"rate": rate, "net": net, "vat": percent_of(net, rate)}
        for rate, net in sorted(nets.items(), reverse=True)
    ]


def totals(lines: Iterable[PricedLine]) -> tuple[Decimal, Decimal, Decimal]:
    breakdown = vat_breakdown(lines)
    net = sum((row["net"] for row in breakdown), ZERO)
    vat = sum((row["vat"] for row in breakdown), ZERO)
    return net, vat, net + vat
