"""Where to send someone back to after a form: only ever a page of this site."""

from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request, default: str) -> str:
    """The `next` the form or the address carries, when it is a page of this site, else
    `default`. A bare check for a leading "/" lets "//evil.example" and "/\\evil.example"
    through: browsers read both as another host."""
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return default
