"""Modules by name: the shipped ones, and those other packages declare under the entry
point group `sportello.provisioning_modules` (`name = "package.module:Class"`)."""

from functools import cache
from importlib.metadata import entry_points

from .base import Module
from .cpanel import CpanelModule
from .epp import EppRegistrar
from .manual import ManualModule
from .powerdns import PowerDnsModule

ENTRY_POINT_GROUP = "sportello.provisioning_modules"
SHIPPED: list[type[Module]] = [ManualModule, CpanelModule, PowerDnsModule, EppRegistrar]


@cache
def modules() -> dict[str, type[Module]]:
    found = {module.name: module for module in SHIPPED}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name not in found:
            found[point.name] = point.load()
    return found


def module_class(name: str) -> type[Module] | None:
    return modules().get(name)


def choices() -> list[tuple[str, str]]:
    return [(name, module.label) for name, module in sorted(modules().items())]
