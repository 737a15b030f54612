from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sportello.core.access import client_required
from sportello.core.models import Provider
from sportello.core.navigation import next_url

from . import actions
from .forms import AccountContactForm, NotificationsForm, ProfileForm, StaffEnrolmentForm
from .models import Consent


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


def legal_document(request, document):
    """The terms of service or the privacy notice in the version a new client accepts."""
    kind = Consent.Document(document)
    version = settings.TERMS_VERSION if kind == Consent.Document.TERMS else settings.PRIVACY_VERSION
    return render(request, "accounts/legal_document.html", {
        "document": kind, "title": kind.label, "version": version,
        "provider": Provider.current(),
    })  # fmt: skip


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


@client_required
def contacts(request, client):
    form = AccountContactForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        contact = actions.add_contact(request, client, form)
        messages.success(request, _("%(name)s is now a contact of the account.") % {
            "name": contact.name})  # fmt: skip
        return redirect("portal:contacts")
    return render(
        request,
        "accounts/contacts.html",
        {"client": client, "form": form, "contacts": client.contacts.all()},
    )


@client_required
@require_POST
def contact_remove(request, client, pk):
    contact = get_object_or_404(client.contacts, pk=pk)
    actions.remove_contact(request, contact)
    messages.success(request, _("%(name)s no longer receives anything about the account.") % {
        "name": contact.name})  # fmt: skip
    return redirect("portal:contacts")


@client_required
def security(request, client):
    user = request.user
    # An unticked box posts nothing: an empty POST is still the form sent.
    form = NotificationsForm(
        request.POST if request.method == "POST" else None,
        initial={"news_by_email": client.news_by_email},
    )
    if request.method == "POST" and form.is_valid():
        actions.set_notifications(request, client, news=form.cleaned_data["news_by_email"])
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("portal:security")
    kinds = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    return render(
        request,
        "accounts/security.html",
        {
            "client": client,
            "sessions": actions.active_sessions(user),
            "current_key": request.session.session_key,
            "history": actions.login_history(user),
            "has_totp": Authenticator.Type.TOTP in kinds,
            "has_recovery_codes": Authenticator.Type.RECOVERY_CODES in kinds,
            "form": form,
            "consents": user.consents.all(),
            "terms_url": settings.TERMS_URL,
            "privacy_url": settings.PRIVACY_URL,
        },
    )


@client_required
@require_POST
def session_end(request, client, pk):
    session = get_object_or_404(request.user.signed_in_sessions, pk=pk)
    current = session.session_key == request.session.session_key
    actions.end_session(request, request.user, session.pk)
    if current:
        # Ending the session in use signs this browser out.
        return redirect("account_login")
    messages.success(request, _("That session is ended: it has to sign in again."))
    return redirect("portal:security")
