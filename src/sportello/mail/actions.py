"""Queue outgoing email. Every message is a row first; a task delivers it after commit."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import formataddr
from typing import TYPE_CHECKING, Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from sportello.core.formatting import fix_date_articles
from sportello.core.models import Provider

from . import deliveries
from .models import EmailAttachment, MailSettings, OutboundEmail

if TYPE_CHECKING:
    # django-stubs reads this alias as the configured user model (accounts.User).
    from django.contrib.auth.models import _User


class Addressee(Protocol):
    """What mail reads from a client (`accounts.Client`, an app above this one, so the
    email rows refer to it by its id)."""

    @property
    def pk(self) -> int: ...
    @property
    def language(self) -> str: ...
    @property
    def contact_email(self) -> str: ...
    @property
    def owner(self) -> "_User": ...


# (file name, content type, bytes or an invoice whose PDF the sender renders: a
# `billing.Invoice`, from an app above this one, so the attachment refers to it by its id)
Attachment = tuple[str, str, bytes | Model]


def subject_with_prefix(subject: str, provider: Provider | None = None) -> str:
    """Every subject starts with the provider's name, so clients recognise (and filter) it."""
    return f"[{(provider or Provider.current()).name}] {subject}"


def render_email(template: str, context: dict[str, Any], language: str,
                 provider: Provider | None = None) -> tuple[str, str, str]:  # fmt: skip
    """Subject, text and HTML of `mail/<template>/` in the recipient's language."""
    with translation.override(language):
        subject, text, html = (
            _render(f"mail/{template}/{name}", context)
            for name in ("subject.txt", "body.txt", "body.html")
        )
    return subject_with_prefix(" ".join(subject.split()), provider), text.strip(), html.strip()


def _render(name: str, context: dict[str, Any]) -> str:
    """Text parts are not HTML: rendered without escaping, so "l'aggiornamento" in a subject
    or a plain-text body stays as written instead of "l&#x27;aggiornamento"."""
    template = get_template(name)
    if name.endswith(".txt"):
        text = str(template.template.render(Context(context, autoescape=False)))  # type: ignore[attr-defined]
    else:
        text = str(template.render(context))
    return fix_date_articles(text)


@dataclass
class ClientMail:
    """An email to a client: `attachments` are (file name, content type, bytes or an
    invoice whose PDF the sender renders)."""

    client: Addressee
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    attachments: Sequence[Attachment] = ()
    # The first message of a conversation (a ticket) and this one's own Message-ID, so
    # mail programs thread the notifications.
    thread_id: str = ""
    message_id: str = ""
    # A department's address the email comes from and replies go to; empty: the email comes
    # from DEFAULT_FROM_EMAIL and says that replies are not read.
    reply_to: str = ""
    list_unsubscribe: str = ""


def replies_thread() -> bool:
    return MailSettings.current().email_replies == MailSettings.Replies.THREAD


def reply_footer(reply_to: str, language: str, threads: bool) -> str:
    """What the client may do with a reply: with a department's address that threads
    replies, reply; otherwise write from the panel, since nobody reads the answer."""
    panel = settings.SITE_URL + reverse("portal:tickets")
    with translation.override(language):
        if reply_to and threads:
            return _("You can answer by replying to this email.")
        return _(
            "This email was sent automatically: replies to it are not read. To write to us, "
            "open a ticket in the panel: %(url)s"
        ) % {"url": panel}


def with_footer(text: str, html: str, footer: str) -> tuple[str, str]:
    return f"{text}\n\n-- \n{footer}", (f"{html}\n<hr>\n<p>{escape(footer)}</p>" if html else "")


def sender_address(address: str, provider: Provider) -> str:
    """`Provider name <address>`: a department's address, named as the provider."""
    return formataddr((provider.name, address)) if address else ""


def queue_to_client(client: Addressee, template: str, context: dict[str, Any] | None = None,
                    attachments: Sequence[Attachment] = (),
                    **threading: str) -> OutboundEmail:  # fmt: skip
    """Mail to a client goes only to the registered contact address (HD-6), in their
    language; `threading` may give the `message_id` and `thread_id`."""
    mail = ClientMail(client, template, context or {}, attachments, **threading)
    return queue_to_clients([mail])[0]


def queue_to_clients(mails: list[ClientMail]) -> list[OutboundEmail]:
    """Many client emails at once (a daily job's notices): each rendered as
    `queue_to_client` renders it, the rows written together."""
    provider = Provider.current()
    threads = replies_thread()
    emails = []
    for mail in mails:
        client = mail.client
        context = {
            "client": client,
            "provider": provider,
            "site_url": settings.SITE_URL,
            **mail.context,
        }
        subject, text, html = render_email(mail.template, context, client.language, provider)
        text, html = with_footer(text, html, reply_footer(mail.reply_to, client.language, threads))
        emails.append(
            OutboundEmail(
                to_address=client.contact_email,
                template=mail.template,
                subject=subject[:300],
                body_text=text,
                body_html=html,
                language=client.language,
                client_id=client.pk,
                user=client.owner,
                message_id=mail.message_id,
                thread_id=mail.thread_id,
                from_email=sender_address(mail.reply_to, provider),
                reply_to=mail.reply_to,
                list_unsubscribe=mail.list_unsubscribe,
                next_attempt_at=timezone.now(),
            )
        )
    # Copies to the account's other contacts who follow this kind of email; they are not
    # the client's mail history, which keeps what reached the registered address.
    copies, copy_files = [], []
    for mail, email in zip(mails, emails, strict=True):
        copy_addresses = getattr(mail.client, "copy_addresses", None)
        for address in copy_addresses(mail.template) if copy_addresses else ():
            copies.append(
                OutboundEmail(
                    to_address=address, template=email.template, subject=email.subject,
                    body_text=email.body_text, body_html=email.body_html,
                    language=email.language, from_email=email.from_email,
                    reply_to=email.reply_to, next_attempt_at=email.next_attempt_at,
                )
            )  # fmt: skip
            copy_files.append(mail.attachments)
    queued = _queue(emails + copies, [mail.attachments for mail in mails] + copy_files)
    return queued[: len(emails)]


def queue_to_staff(recipients: Iterable["_User"], template: str, context: dict[str, Any], *,
                   personal: bool = False) -> list[OutboundEmail]:  # fmt: skip
    """Alerts to staff, each in their own language; they belong to no client's mail history.
    An alert is rendered once per language, or once per person when `personal` (it greets
    them by name: `staff` in the template)."""
    provider = Provider.current()
    context = {"provider": provider, "site_url": settings.SITE_URL, **context}
    rendered: dict[tuple[str, int | None], tuple[str, str, str]] = {}
    emails = []
    for staff in recipients:
        key = (staff.language, staff.pk if personal else None)
        if key not in rendered:
            own = {**context, "staff": staff} if personal else context
            rendered[key] = render_email(template, own, staff.language, provider)
        subject, text, html = rendered[key]
        emails.append(
            OutboundEmail(
                to_address=staff.email,
                template=template,
                subject=subject[:300],
                body_text=text,
                body_html=html,
                language=staff.language,
                user=staff,
                next_attempt_at=timezone.now(),
            )
        )
    return _queue(emails, [()] * len(emails)) if emails else []


def queue_rendered(*, to_address: str, template: str, subject: str, body_text: str,
                   body_html: str, language: str, client: Addressee | None = None,
                   user: "_User | None" = None, attachments: Sequence[Attachment] = (),
                   message_id: str = "", thread_id: str = "") -> OutboundEmail:  # fmt: skip
    email = OutboundEmail(
        message_id=message_id,
        thread_id=thread_id,
        to_address=to_address,
        template=template,
        subject=subject[:300],
        body_text=body_text,
        body_html=body_html,
        language=language,
        client_id=client.pk if client is not None else None,
        user=user,
        next_attempt_at=timezone.now(),
    )
    return _queue([email], [attachments])[0]


def _queue(
    emails: list[OutboundEmail], attachments: list[Sequence[Attachment]]
) -> list[OutboundEmail]:
    OutboundEmail.objects.bulk_create(emails)
    EmailAttachment.objects.bulk_create(
        [
            EmailAttachment(
                email=email,
                filename=filename,
                content_type=content_type,
                **(
                    {"content": content}
                    if isinstance(content, bytes)
                    else {"invoice_id": content.pk}
                ),
            )
            for email, files in zip(emails, attachments, strict=True)
            for filename, content_type, content in files
        ]
    )
    ids = [email.pk for email in emails]
    together = deliveries.collecting.get()
    if together is not None:
        together.extend(ids)  # scheduled by whoever collects them, after the work
    else:
        transaction.on_commit(lambda: _schedule_delivery(ids))
    return emails


def _schedule_delivery(email_ids: list[int]) -> None:
    from .tasks import schedule_delivery

    schedule_delivery(email_ids)
