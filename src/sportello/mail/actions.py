"""Queue outgoing email. Every message is a row first; a task delivers it after commit."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from sportello.core.models import Provider

from .models import EmailAttachment, OutboundEmail


def subject_with_prefix(subject: str) -> str:
    """Every subject starts with the provider's name, so clients recognise (and filter) it."""
    return f"[{Provider.current().name}] {subject}"


def render_email(template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of `mail/<template>/` in the recipient's language."""
    with translation.override(language):
        subject = render_to_string(f"mail/{template}/subject.txt", context)
        text = render_to_string(f"mail/{template}/body.txt", context)
        html = render_to_string(f"mail/{template}/body.html", context)
    return subject_with_prefix(" ".join(subject.split())), text.strip(), html.strip()


def queue_to_client(client, template: str, context: dict | None = None,
                    attachments=(), **threading) -> OutboundEmail:  # fmt: skip
    """Mail to a client goes only to the registered contact address (HD-6), in their
    language. `attachments` are (file name, content type, bytes or an invoice whose PDF
    the sender renders); `threading` may give the `message_id` and `thread_id`."""
    context = {
        "client": client,
        "provider": Provider.current(),
        "site_url": settings.SITE_URL,
        **(context or {}),
    }
    subject, text, html = render_email(template, context, client.language)
    return queue_rendered(
        to_address=client.contact_email,
        template=template,
        subject=subject,
        body_text=text,
        body_html=html,
        language=client.language,
        client=client,
        user=client.owner,
        attachments=attachments,
        **threading,
    )


def queue_rendered(*, to_address, template, subject, body_text, body_html, language,
                   client=None, user=None, attachments=(), message_id="",
                   thread_id="") -> OutboundEmail:  # fmt: skip
    email = OutboundEmail.objects.create(
        message_id=message_id,
        thread_id=thread_id,
        to_address=to_address,
        template=template,
        subject=subject[:300],
        body_text=body_text,
        body_html=body_html,
        language=language,
        client=client,
        user=user,
        next_attempt_at=timezone.now(),
    )
    for filename, content_type, content in attachments:
        if isinstance(content, bytes):
            EmailAttachment.objects.create(
                email=email, filename=filename, content_type=content_type, content=content
            )
        else:
            EmailAttachment.objects.create(
                email=email, filename=filename, content_type=content_type, invoice=content
            )
    transaction.on_commit(lambda: _schedule_delivery(email.pk))
    return email


def _schedule_delivery(email_id: int) -> None:
    from .tasks import deliver_email

    deliver_email(email_id)
