from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils import translation
from django.utils.translation import gettext as _

from .twofactor import session_passed_mfa

# Files, not pages: a staff session without the two-factor step may load them.
ASSET_PREFIXES = ("/static/", "/favicon")


class StaffTwoFactorMiddleware:
    """A staff session exists only if it passed the two-factor step for that very user
    (ACC-11). A staff login that skipped it, by whatever door, is ended before any page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and not request.path.startswith(ASSET_PREFIXES)
            and not session_passed_mfa(request, user)
        ):
            logout(request)
            messages.warning(request, _("Staff sign in with their two-factor code."))
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class UserLanguageMiddleware:
    """A logged-in user sees the language of their profile; the switch changes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = ""
        if request.user.is_authenticated and request.user.language:
            language = request.user.language
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if language and not request.user.is_authenticated:
            # Signed out: the next pages (and the "signed out" notice) stay in the language
            # the user was using, not the browser's.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, language,
                max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
                secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )  # fmt: skip
        return response
