from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.accounts import actions as account_actions
from sportello.accounts import impersonation
from sportello.accounts.forms import ProfileForm
from sportello.accounts.models import Client, User
from sportello.core.access import staff_required


@staff_required(User.Role.ADMIN, User.Role.BILLING, User.Role.AGENT)
def client_edit(request, pk):
    client = get_object_or_404(Client.objects.select_related("owner"), pk=pk)
    form = ProfileForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        account_actions.update_profile(request, client, form, by_staff=True)
        messages.success(request, _("The client's profile has been saved."))
        return redirect("desk:client", pk=client.pk)
    return render(request, "accounts/desk/client_edit.html", {"form": form, "client": client})


@require_POST
@staff_required()
def impersonate_start(request, pk):
    """Open the client area as the client sees it, read-only; recorded on the client."""
    if not impersonation.may_impersonate(request.user):
        raise PermissionDenied
    client = get_object_or_404(Client.objects.select_related("owner"), pk=pk)
    impersonation.start(request, request.user, client)
    return redirect("portal:home")


@require_POST
@staff_required()
def impersonate_stop(request):
    client = impersonation.stop(request, request.user)
    if client is None:
        return redirect("root")
    return redirect("desk:client", pk=client.pk)
