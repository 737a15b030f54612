from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

# Pages a staff member may reach before two-factor login is set up: the ones that set it up.
OPEN_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/favicon")


class StaffTwoFactorMiddleware:
    """Staff must turn on two-factor login before they see anything else (ACC-11)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.has_two_factor
        ):
            messages.warning(request, _("Staff must turn on two-factor login before continuing."))
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class UserLanguageMiddleware:
    """A logged-in user sees the language of their profile; the switch changes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and request.user.language:
            translation.activate(request.user.language)
            request.LANGUAGE_CODE = request.user.language
        return self.get_response(request)
