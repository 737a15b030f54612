"""Account operations: each one a transaction with its audit row and its emails."""

from allauth.account.models import EmailAddress
from django.db import transaction

from sportello.core import audit
from sportello.core.models import AuditEvent
from sportello.mail.actions import queue_to_client

from .models import Client, Tier

Action = AuditEvent.Action


@transaction.atomic
def register_client(request, user, data: dict) -> Client:
    user.language = data.get("language") or user.language
    user.save(update_fields=["language"])
    client = Client.objects.create(
        owner=user,
        name=data["name"],
        kind=data.get("kind") or Client.Kind.PERSON,
        company_name=data.get("company_name", ""),
        country=data.get("country") or "IT",
        tier=Tier.default(),
    )
    audit.record(Action.SIGNUP, request=request, actor=user, client=client)
    return client


@transaction.atomic
def update_profile(request, client: Client, form, *, by_staff: bool = False) -> Client:
    changed = [f for f in form.changed_data if f != "language"]
    client = form.save()
    language = form.cleaned_data.get("language")
    if language and language != client.owner.language:
        client.owner.language = language
        client.owner.save(update_fields=["language"])
        changed.append("language")
    if changed:
        action = Action.STAFF_CHANGED_CLIENT if by_staff else Action.PROFILE_CHANGED
        audit.record(action, request=request, client=client, detail=", ".join(changed))
    return client


def request_contact_change(request, client: Client, new_email: str) -> EmailAddress:
    """The new address becomes the registered one only when its owner opens the link
    sent to it (ACC-5); until then every mail still goes to the old address."""
    with transaction.atomic():
        audit.record(
            Action.CONTACT_CHANGE_REQUESTED, request=request, client=client, detail=new_email
        )
    return EmailAddress.objects.add_new_email(request, client.owner, new_email)


def pending_contact_change(client: Client) -> EmailAddress | None:
    return EmailAddress.objects.get_new(client.owner)


def hosted_domain_of(client: Client, email: str) -> str | None:
    """The domain of `email` when the client hosts it with us: that mailbox dies with
    the service, so it is a poor contact address (ACC-6)."""
    domain = email.rsplit("@", 1)[-1].lower()
    from sportello.services.models import Service

    if Service.objects.for_client(client).hosting_domain(domain).exists():
        return domain
    return None


def welcome_once(client: Client) -> None:
    """The first confirmed address gets the welcome email; later confirmations do not."""
    if not client.emails.filter(template="welcome").exists():
        queue_to_client(client, "welcome")
