"""Who may open a page: the decorators every app's views use. They read only the login's
own attributes (staff status, role, its client), so they sit at the bottom of the house."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

# The staff roles (the values of accounts.User.Role), for apps below accounts.
ADMIN, BILLING, AGENT = "admin", "billing", "agent"


def client_required(view):
    """A logged-in client; the view receives `client`, through which every object is fetched."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        client = getattr(request.user, "client", None)
        if client is None:
            raise Http404
        return view(request, client, *args, **kwargs)

    return wrapper


def staff_required(*roles):
    """Staff who passed the two-factor step (accounts.middleware sees to that); optionally
    of some roles."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_staff:
                raise PermissionDenied
            if roles and not (user.is_superuser or user.role in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
