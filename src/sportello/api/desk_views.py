"""Staff pages: their API tokens (administrators see and revoke every token), webhook
endpoints and their deliveries (administrators change them)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportello.core.access import staff_required

from . import actions, scopes
from .forms import EndpointForm, TokenForm, add_errors
from .models import ApiToken, WebhookDelivery, WebhookEndpoint


@staff_required()
def tokens(request):
    staff = request.user
    form = TokenForm(request.POST or None, allowed=scopes.allowed_for(staff))
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = actions.create_token(
                staff, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(), allowed_ips=form.cleaned_data["allowed_ips"],
                now=timezone.now(), request=request,
            )  # fmt: skip
        except ValidationError as error:
            add_errors(form, error)
        else:
            created = {"token": token, "raw": raw}
            form = TokenForm(allowed=scopes.allowed_for(staff))
    return render(request, "api/desk/tokens.html", {
        "form": form, "created": created, "tokens": actions.tokens_visible_to(staff),
        "now": timezone.now(),
    })  # fmt: skip


@require_POST
@staff_required()
def revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk)
    if token.user_id != request.user.pk and not request.user.is_admin:
        raise PermissionDenied
    if actions.revoke_token(token, request.user, timezone.now(), request=request):
        messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    return redirect("api_desk:tokens")


@staff_required()
def webhooks(request):
    form = EndpointForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_admin:
            raise PermissionDenied
        if form.is_valid():
            try:
                endpoint = actions.create_endpoint(
                    form.cleaned_data["url"], form.cleaned_data["events"],
                    description=form.cleaned_data["description"], actor=request.user,
                    request=request,
                )  # fmt: skip
            except ValidationError as error:
                add_errors(form, error)
            else:
                return redirect("api_desk:webhook", endpoint.pk)
    return render(request, "api/desk/webhooks.html", {
        "form": form, "endpoints": WebhookEndpoint.objects.all(),
    })  # fmt: skip


@staff_required()
def webhook(request, pk):
    endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
    now = timezone.now()
    if request.method == "POST":
        if not request.user.is_admin:
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "rotate":
            actions.rotate_secret(endpoint, request.user, now, request=request)
            messages.success(request, _("A new secret signs from now; the old one also signs "
                                        "for the next 24 hours."))  # fmt: skip
        elif action in ("enable", "disable"):
            actions.set_endpoint_active(endpoint, action == "enable", request.user, now,
                                        request=request)  # fmt: skip
        return redirect("api_desk:webhook", endpoint.pk)
    deliveries = endpoint.deliveries.order_by("-created_at", "-id")[:100]
    return render(request, "api/desk/webhook.html", {
        "endpoint": endpoint, "deliveries": deliveries, "may_change": request.user.is_admin,
        "now": now,
    })  # fmt: skip


@staff_required()
def delivery(request, pk):
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("endpoint"), pk=pk)
    if request.method == "POST":
        if not request.user.is_admin:
            raise PermissionDenied
        actions.replay(delivery, request.user, timezone.now(), request=request)
        messages.success(request, _("The delivery will be sent again, with the same id."))
        return redirect("api_desk:delivery", delivery.pk)
    return render(request, "api/desk/delivery.html", {
        "delivery": delivery, "attempts": delivery.tries.all(), "may_change": request.user.is_admin,
    })  # fmt: skip
