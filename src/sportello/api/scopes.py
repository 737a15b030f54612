"""What a token may do: scopes, and which of them each kind of holder may be given."""

from django.utils.translation import gettext_lazy as _

from sportello.core import access

CLIENTS_READ = "clients:read"
SERVICES_READ = "services:read"
SERVICES_WRITE = "services:write"
INVOICES_READ = "invoices:read"
INVOICES_WRITE = "invoices:write"
PAYMENTS_READ = "payments:read"
PAYMENTS_WRITE = "payments:write"
QUOTES_READ = "quotes:read"
QUOTES_WRITE = "quotes:write"
TICKETS_READ = "tickets:read"
TICKETS_WRITE = "tickets:write"
KB_READ = "kb:read"
USAGE_WRITE = "usage:write"
JOBS_READ = "jobs:read"

LABELS = {
    CLIENTS_READ: _("Read clients and contacts"),
    SERVICES_READ: _("Read services"),
    SERVICES_WRITE: _("Create, cancel, suspend, reactivate and terminate services"),
    INVOICES_READ: _("Read invoices and download them"),
    INVOICES_WRITE: _("Draft, issue and credit invoices"),
    PAYMENTS_READ: _("Read payments"),
    PAYMENTS_WRITE: _("Record payments"),
    QUOTES_READ: _("Read quotes"),
    QUOTES_WRITE: _("Draft and send quotes (staff), accept them (clients)"),
    TICKETS_READ: _("Read tickets"),
    TICKETS_WRITE: _("Open and answer tickets"),
    KB_READ: _("Read the knowledge base"),
    USAGE_WRITE: _("Import disk usage"),
    JOBS_READ: _("Read the dry run of the daily jobs"),
}
ALL = list(LABELS)

# A client reads its own account, writes tickets and accepts quotes, as in the panel.
CLIENT_SCOPES = [
    CLIENTS_READ, SERVICES_READ, INVOICES_READ, PAYMENTS_READ, QUOTES_READ, QUOTES_WRITE,
    TICKETS_READ, TICKETS_WRITE, KB_READ,
]  # fmt: skip
# Staff as in the desk: billing is for billing clerks and administrators, usage and the
# daily jobs for administrators.
ROLE_SCOPES = {
    access.ADMIN: ALL,
    access.BILLING: [
        CLIENTS_READ, SERVICES_READ, SERVICES_WRITE, INVOICES_READ, INVOICES_WRITE,
        PAYMENTS_READ, PAYMENTS_WRITE, QUOTES_READ, QUOTES_WRITE, TICKETS_READ, TICKETS_WRITE,
        KB_READ,
    ],
    access.AGENT: [
        CLIENTS_READ, SERVICES_READ, SERVICES_WRITE, TICKETS_READ, TICKETS_WRITE, KB_READ,
    ],
}  # fmt: skip


def allowed_for(user, client=None) -> list[str]:
    """The scopes a token of this holder may carry, now (a staff member's role can change)."""
    if client is not None:
        return CLIENT_SCOPES
    if not user.is_active or not user.is_staff:
        return []
    if user.is_superuser:
        return ALL
    return ROLE_SCOPES.get(user.role, [])
