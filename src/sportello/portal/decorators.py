from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404


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
