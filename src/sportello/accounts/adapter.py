from types import SimpleNamespace
from urllib.parse import urlparse

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from sportello.core.models import Provider
from sportello.mail.actions import queue_rendered, subject_with_prefix

from .models import User


class AccountAdapter(DefaultAccountAdapter):
    """allauth's mail goes through the outbox, in the recipient's language."""

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        user = User.objects.filter(email__iexact=email).select_related("client").first()
        if user is None:
            user = context.get("user")
        language = user.language if user else (translation.get_language() or "it")[:2]
        with translation.override(language):
            context = {
                "email": email,
                "site_url": settings.SITE_URL,
                "current_site": SimpleNamespace(
                    name=Provider.current().name, domain=urlparse(settings.SITE_URL).netloc
                ),
                **context,
            }
            subject = render_to_string(f"{template_prefix}_subject.txt", context)
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

    def get_login_redirect_url(self, request):
        if request.user.is_staff:
            return reverse("desk:home")
        return reverse("portal:home")

    def format_email_subject(self, subject: str) -> str:
        return subject_with_prefix(subject)
