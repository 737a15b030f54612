"""Staff viewing the client area as a client ("log in as client"), read-only.

The staff member stays signed in as themselves: the session only names the client being
viewed, and `ImpersonationMiddleware` shows the client-area pages with the client's login
as `request.user`. Every request that could change something (any method but GET, HEAD,
OPTIONS) is refused there, so nothing is written in the client's name and no money moves.
Starting and stopping are audit rows on the client, which the client reads on their
security page (`staff_visits`)."""

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import render
from django.utils import timezone

from sportello.core import audit
from sportello.core.models import AuditEvent

from .models import Client, User

SESSION_KEY = "sportello_viewing_as_client"
PERMISSION = "core.impersonate_client"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# The staff side, sign-in pages, files and the language switch stay the staff member's own.
OWN_PREFIXES = ("/desk/", "/admin/", "/accounts/", "/static/", "/i18n/", "/favicon", "/api/")
Action = AuditEvent.Action


def may_impersonate(user: User) -> bool:
    """Administrators, and staff given the permission (directly or through a group)."""
    return bool(user.is_active and user.is_staff and (user.is_admin or user.has_perm(PERMISSION)))


def viewing(request: HttpRequest) -> Client | None:
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    return Client.objects.select_related("owner").filter(pk=pk).first()


def start(request: HttpRequest, staff: User, client: Client) -> None:
    request.session[SESSION_KEY] = client.pk
    audit.record(Action.IMPERSONATION_STARTED, request=request, actor=staff, client=client,
                 detail=f"{staff.email}: read-only")  # fmt: skip


def stop(request: HttpRequest, staff: User) -> Client | None:
    client = viewing(request)
    request.session.pop(SESSION_KEY, None)
    if client is not None:
        audit.record(Action.IMPERSONATION_ENDED, request=request, actor=staff, client=client,
                     detail=staff.email)  # fmt: skip
    return client


def staff_visits(client: Client, limit: int = 20) -> QuerySet[AuditEvent]:
    """When staff viewed this client's area as the client, newest first: for the client's
    security page."""
    return (
        AuditEvent.objects.filter(client=client, action=Action.IMPERSONATION_STARTED)
        .select_related("actor")
        .order_by("-at", "-id")[:limit]
    )


class ImpersonationMiddleware:
    """After the staff two-factor check, which sees the staff member's own login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            not user.is_authenticated
            or not user.is_staff
            or request.path.startswith(OWN_PREFIXES)
            or SESSION_KEY not in request.session
        ):
            return self.get_response(request)
        client = viewing(request) if may_impersonate(user) else None
        if client is None:
            request.session.pop(SESSION_KEY, None)
            return self.get_response(request)
        if request.method not in SAFE_METHODS:
            return render(
                request,
                "accounts/impersonation_refused.html",
                {"viewed_client": client, "now": timezone.now()},
                status=403,
            )
        request.impersonator = user
        request.user = client.owner
        return self.get_response(request)
