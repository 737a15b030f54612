from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from sportello.core.access import client_required
from sportello.core.navigation import next_url

from . import actions
from .forms import ProfileForm, StaffEnrolmentForm


@never_cache
def admin_login(request, extra_context=None):
    """Stands in for Django's admin login form, which would sign anyone in with a password
    alone: every way into a staff session is allauth's login with its two-factor step."""
    target = next_url(request, reverse("admin:index"))
    if request.user.is_authenticated:
        # Signed in but not let in by the admin: sending them on would come straight back.
        if not admin.site.has_permission(request):
            raise PermissionDenied
        return redirect(target)
    return redirect_to_login(target)


ENROLMENT_SECRET_KEY = "staff_enrolment_secret"


@never_cache
def staff_enrol(request, uidb64, token):
    """The invited staff member chooses a password and pairs an authenticator app."""
    user = actions.user_for_enrolment(uidb64, token)
    if user is None:
        return render(request, "account/staff_enrol_invalid.html", status=410)
    # The secret stays the same between showing the QR code and checking the first code.
    pending = request.session.get(ENROLMENT_SECRET_KEY) or {}
    if pending.get("user") != user.pk:
        pending = {"user": user.pk, "secret": generate_totp_secret()}
        request.session[ENROLMENT_SECRET_KEY] = pending
    secret = pending["secret"]
    form = StaffEnrolmentForm(request.POST or None, user=user, secret=secret)
    if request.method == "POST" and form.is_valid():
        request.session.pop(ENROLMENT_SECRET_KEY, None)
        actions.enrol_staff(request, user, password=form.cleaned_data["password2"], secret=secret)
        messages.success(
            request,
            _(
                "Two-factor login is on. Keep your recovery codes somewhere safe: you find "
                "them in your account's two-factor page."
            ),
        )
        return redirect("desk:home")
    adapter = get_mfa_adapter()
    totp_url = adapter.build_totp_url(user, secret)
    return render(
        request,
        "account/staff_enrol.html",
        {"form": form, "staff": user, "secret": secret, "qr_svg": adapter.build_totp_svg(totp_url)},
    )


@client_required
def profile(request, client):
    form = ProfileForm(request.POST or None, instance=client)
    if request.method == "POST" and form.is_valid():
        actions.update_profile(request, client, form)
        messages.success(request, _("Your profile has been saved."))
        return redirect("portal:profile")
    return render(request, "accounts/profile.html", {"form": form, "client": client})


@csrf_exempt  # mail providers post the one-click unsubscribe without cookies (RFC 8058)
@never_cache
def news_unsubscribe(request, token):
    """The link of a news email: asking shows a button, posting (the button, or the mail
    program's one-click request) stops the news. The signed token is the only credential."""
    client = actions.client_of_unsubscribe_token(token)
    if client is None:
        raise Http404
    done = False
    if request.method == "POST":
        actions.unsubscribe_from_news(client, request)
        done = True
    return render(request, "accounts/news_unsubscribe.html", {"done": done})
