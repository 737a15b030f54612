from types import SimpleNamespace
from urllib.parse import urlparse, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.stagekit import clear_login
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sportello.core.models import Provider
from sportello.core.net import client_ip
from sportello.mail.actions import queue_rendered, subject_with_prefix

from . import throttle
from .models import User

# Links allauth puts in its mails' context.
LINK_KEYS = {"activate_url", "password_reset_url", "signup_url"}


def on_site(url: str) -> str:
    """The same path on SITE_URL, whatever host the request named."""
    parts = urlsplit(url)
    return settings.SITE_URL + parts.path + (f"?{parts.query}" if parts.query else "")


class AccountAdapter(DefaultAccountAdapter):
    """allauth's mail goes through the outbox, in the recipient's language."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        user = User.objects.filter(email__iexact=email).select_related("client").first()
        if user is None:
            user = context.get("user")
        language = user.language if user else (translation.get_language() or "it")[:2]
        # allauth builds links from the request's Host header; mail names only SITE_URL.
        links = {k: on_site(v) for k, v in context.items() if k in LINK_KEYS and v}
        with translation.override(language):
            context = {
                "email": email,
                "site_url": settings.SITE_URL,
                "current_site": SimpleNamespace(
                    name=Provider.current().name, domain=urlparse(settings.SITE_URL).netloc
                ),
                **context,
                **links,
            }
            subject: str = render_to_string(f"{template_prefix}_subject.txt", context)
            subject = self.format_email_subject(" ".join(subject.split()))
            text = render_to_string(f"{template_prefix}_message.txt", context).strip()
        client = getattr(user, "client", None) if user else None
        queue_rendered(
            to_address=email,
            template=template_prefix,
            subject=subject,
            body_text=text,
            body_html="",
            language=language,
            client=client,
            user=user,
        )

    def get_client_ip(self, request) -> str:
        return client_ip(request) or "unknown"

    def pre_authenticate(self, request, **credentials) -> None:
        wait = throttle.seconds_to_wait(credentials.get("email", ""), self.get_client_ip(request))
        if wait:
            raise ValidationError(
                ngettext(
                    "Too many failed sign-ins from here: try again in %(seconds)d second.",
                    "Too many failed sign-ins from here: try again in %(seconds)d seconds.",
                    wait,
                )
                % {"seconds": wait},
                code="too_many_login_attempts",
            )

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            throttle.record_success(credentials.get("email", ""), self.get_client_ip(request))
        return user

    def authentication_failed(self, request, **credentials) -> None:
        throttle.record_failure(credentials.get("email", ""), self.get_client_ip(request))

    def pre_login(self, request, user, **kwargs):
        """Staff sign in only with a second factor, and enrol it only through the invitation
        mailed to them: a staff account without one is not signed in by its password."""
        if user.is_staff and not user.has_two_factor:
            clear_login(request)
            messages.error(
                request,
                _(
                    "This staff account has no two-factor login yet. Open the invitation "
                    "link sent to your address, or ask an administrator for a new one."
                ),
            )
            return redirect("account_login")
        return super().pre_login(request, user, **kwargs)

    def add_message(self, request, level, message_template=None, message_context=None,
                    extra_tags="", message=None):  # fmt: skip
        """allauth's notices ("Signed in as ...") in the language of the panel they appear
        on: the signed-in user's, even when the sign-in form was shown in the browser's."""
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user and user.is_authenticated else ""
        with translation.override(language or translation.get_language()):
            super().add_message(request, level, message_template, message_context,
                                extra_tags, message)  # fmt: skip

    def get_login_redirect_url(self, request):
        if request.user.is_staff:
            return reverse("root")  # staff go on to their own starting page
        return reverse("portal:home")

    def format_email_subject(self, subject: str) -> str:
        return subject_with_prefix(subject)


ENCRYPTED_PREFIX = "fernet:"


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets and recovery-code seeds are stored encrypted with a key kept outside the
    database (MFA_ENCRYPTION_KEYS): a copy of the database alone yields no second factor."""

    def encrypt(self, text: str) -> str:
        return ENCRYPTED_PREFIX + _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(ENCRYPTED_PREFIX):
            raise ValueError("a two-factor secret is stored unencrypted")
        token = encrypted_text.removeprefix(ENCRYPTED_PREFIX).encode()
        return _fernet().decrypt(token).decode()


def _fernet() -> MultiFernet:
    # The first key encrypts; the others still decrypt, so a key can be rotated.
    return MultiFernet([Fernet(key) for key in settings.MFA_ENCRYPTION_KEYS])
