"""The client's API tokens in the panel."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.core.access import client_required

from . import actions, scopes
from .forms import TokenForm, add_errors


@client_required
def tokens(request, client):
    form = TokenForm(request.POST or None, allowed=scopes.CLIENT_SCOPES)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = actions.create_token(
                client.owner, client=client, name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"], expires_at=form.expires_at(),
                allowed_ips=form.cleaned_data["allowed_ips"], now=timezone.now(),
                request=request,
            )  # fmt: skip
        except ValidationError as error:
            add_errors(form, error)
        else:
            # Shown on this answer only: it is stored as a hash.
            created = {"token": token, "raw": raw}
            form = TokenForm(allowed=scopes.CLIENT_SCOPES)
    return render(request, "api/tokens.html", {
        "form": form, "created": created, "tokens": client.api_tokens.all(), "now": timezone.now(),
    })  # fmt: skip


@require_POST
@client_required
def revoke(request, client, pk):
    token = client.api_tokens.filter(pk=pk).first()
    if token is None:
        raise Http404
    if actions.revoke_token(token, client.owner, timezone.now(), request=request):
        messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    return redirect("api:tokens")
