"""Which support plan covers a server, and what that means here (seed 003)."""

from sportello.catalog.models import SupportLevel
from sportello.services.models import Service

# Managed and global plans: staff switch the IPs and hear of every outage themselves.
STAFF_LEVELS = {SupportLevel.MANAGED, SupportLevel.GLOBAL}


def support_level(server: Service) -> str:
    """The level of the live support plan attached to the server, "" without one."""
    return server.addons.support_level()


def staff_switch(level: str) -> bool:
    """Basic (or no) plan: the client switches the IPs; managed and global: our staff."""
    return level in STAFF_LEVELS


def soft_hours_allowed(level: str) -> bool:
    """Global clients may agree night or holiday work for free (seed 003)."""
    return level == SupportLevel.GLOBAL
