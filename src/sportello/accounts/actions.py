"""Account operations: each one a transaction with its audit row and its emails."""

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from allauth.account.internal.flows.email_verification import (
    add_email_verification_sent_message,
)
from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from sportello.core import audit
from sportello.core.models import AuditEvent, Provider
from sportello.core.net import client_ip
from sportello.mail.actions import queue_rendered, queue_to_client, render_email

from .models import AccountContact, Client, Consent, SignedInSession, Tier, User
from .twofactor import record_mfa

Action = AuditEvent.Action


# Sent with `client`, `recipient_code` and `pec` when the client gives how their Italian
# electronic invoices reach them; the e-invoice app, above this one, keeps that data.
invoice_delivery_given = Signal()

CLIENT_FIELDS = ("company_name", "fiscal_code", "vat_number", "address", "postcode", "city",
                 "province")  # fmt: skip


@transaction.atomic
def register_client(request: HttpRequest, user: User, data: Mapping[str, Any]) -> Client:
    user.language = data.get("language") or user.language
    user.save(update_fields=["language"])
    client = Client.objects.create(
        owner=user,
        name=data["name"],
        kind=data.get("kind") or Client.Kind.PERSON,
        country=data.get("country") or "IT",
        tier=Tier.default(),
        **{field: data.get(field) or "" for field in CLIENT_FIELDS},
    )
    audit.record(Action.SIGNUP, request=request, actor=user, client=client)
    _give_invoice_delivery(client, data)
    return client


def _give_invoice_delivery(client: Client, data: Mapping[str, Any]) -> None:
    if "recipient_code" in data or "pec" in data:
        invoice_delivery_given.send(
            sender=Client, client=client,
            recipient_code=data.get("recipient_code") or "", pec=data.get("pec") or "",
        )  # fmt: skip


def record_acceptance(
    request: HttpRequest, user: User, client: Client | None,
    documents: tuple[str, ...] = (Consent.Document.TERMS, Consent.Document.PRIVACY),
) -> list[Consent]:  # fmt: skip
    """The terms and the privacy notice accepted now, in the versions in force: one row per
    document with the time and the address it came from. Every sign-up path records it here."""
    versions: dict[str, str] = {Consent.Document.TERMS: settings.TERMS_VERSION,
                                Consent.Document.PRIVACY: settings.PRIVACY_VERSION}  # fmt: skip
    now = timezone.now()
    return [
        Consent.objects.create(
            user=user,
            client=client,
            document=document,
            version=versions[document],
            accepted_at=now,
            ip_address=client_ip(request),
        )  # fmt: skip
        for document in documents
    ]


@transaction.atomic
def update_profile(
    request: HttpRequest, client: Client, form: "ModelForm[Client]", *, by_staff: bool = False
) -> Client:
    """`form`: the profile form, bound to `client` and valid."""
    changed = [f for f in form.changed_data if f != "language"]
    client = form.save()
    language = form.cleaned_data.get("language")
    if language and language != client.owner.language:
        client.owner.language = language
        client.owner.save(update_fields=["language"])
        changed.append("language")
    if {"recipient_code", "pec"} & set(changed):
        _give_invoice_delivery(client, form.cleaned_data)
    if changed:
        action = Action.STAFF_CHANGED_CLIENT if by_staff else Action.PROFILE_CHANGED
        audit.record(action, request=request, client=client, detail=", ".join(changed))
    return client


def request_contact_change(request: HttpRequest, client: Client, new_email: str) -> EmailAddress:
    """The new address becomes the registered one only when its owner opens the link
    sent to it (ACC-5); until then every mail still goes to the old address.

    The client sees the same answer whether or not the address belongs to another account
    (staff included), so the form cannot be used to find out who has an account. An address
    already taken gets no confirmation link, only a notice to its owner, and stays pending
    here until replaced: it can never be confirmed."""
    with transaction.atomic():
        audit.record(
            Action.CONTACT_CHANGE_REQUESTED, request=request, client=client, detail=new_email
        )
        holder = _holder_of(new_email, besides=client.owner)
        if holder is not None:
            _tell_address_is_taken(holder, new_email)
            # The same words allauth says when it sends the link.
            add_email_verification_sent_message(request, new_email, signup=False)
    return EmailAddress.objects.add_new_email(
        request, client.owner, new_email, send_verification=holder is None
    )


def _holder_of(email: str, *, besides: User) -> User | None:
    holder = User.objects.filter(email__iexact=email).exclude(pk=besides.pk).first()
    if holder is None:
        address = (
            EmailAddress.objects.filter(email__iexact=email, verified=True)
            .exclude(user=besides)
            .select_related("user")
            .first()
        )
        holder = address.user if address else None
    return holder


def _tell_address_is_taken(holder: User, email: str) -> None:
    provider = Provider.current()
    context = {"email": email, "site_url": settings.SITE_URL, "provider": provider}
    subject, text, html = render_email("contact_address_taken", context, holder.language, provider)
    queue_rendered(
        to_address=email,
        template="contact_address_taken",
        subject=subject,
        body_text=text,
        body_html=html,
        language=holder.language,
        user=holder,
        client=getattr(holder, "client", None),
    )


def pending_contact_change(client: Client) -> EmailAddress | None:
    return EmailAddress.objects.get_new(client.owner)


def welcome_once(client: Client) -> None:
    """The first confirmed address gets the welcome email; later confirmations do not."""
    if not client.emails.filter(template="welcome").exists():
        queue_to_client(client, "welcome")


# --- Staff enrolment: a staff account gets its password and second factor only through a
# link mailed to that person, so nobody who learns of the account can enrol it first.


class StaffEnrolmentTokens(PasswordResetTokenGenerator):
    """One-use links: the token covers the password and whether a second factor exists,
    so it stops working once the person has enrolled (or a newer invitation set things)."""

    key_salt = "sportello.accounts.staff-enrolment"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        enrolled = Authenticator.objects.filter(user=user).exists()
        return f"{user.pk}{user.password}{enrolled}{user.is_active}{timestamp}"


staff_enrolment_tokens = StaffEnrolmentTokens()


def staff_enrolment_url(user: User) -> str:
    path = reverse(
        "staff_enrol",
        args=[urlsafe_base64_encode(force_bytes(user.pk)), staff_enrolment_tokens.make_token(user)],
    )
    return f"{settings.SITE_URL}{path}"


def user_for_enrolment(uidb64: str, token: str) -> User | None:
    """The staff member the link was made for, if it is still good."""
    try:
        pk = int(force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError):
        return None
    user = User.objects.filter(pk=pk, is_staff=True, is_active=True).first()
    if user is None or user.has_two_factor or not staff_enrolment_tokens.check_token(user, token):
        return None
    return user


def invite_staff(user: User, *, request: HttpRequest | None = None) -> str:
    """Mail the enrolment link to the staff member; the link is returned for the command
    line. An account that already has a second factor is not invited again: its owner
    removes it from their own two-factor page first."""
    if not user.is_staff:
        raise ValueError(f"{user.email} is not a staff account")
    if user.has_two_factor:
        raise ValueError(f"{user.email} already has two-factor login")
    url = staff_enrolment_url(user)
    provider = Provider.current()
    context = {"staff": user, "url": url, "provider": provider, "site_url": settings.SITE_URL}
    subject, text, html = render_email("staff_invitation", context, user.language, provider)
    with transaction.atomic():
        queue_rendered(
            to_address=user.email,
            template="staff_invitation",
            subject=subject,
            body_text=text,
            body_html=html,
            language=user.language,
            user=user,
        )
        audit.record(Action.STAFF_INVITED, request=request, detail=user.email)
    return url


@transaction.atomic
def enrol_staff(request: HttpRequest, user: User, *, password: str, secret: str) -> None:
    """Set the password and the second factor chosen on the invitation page, and sign the
    person in with both steps passed: they just proved the code from their app."""
    user.set_password(password)
    user.save(update_fields=["password"])
    totp = TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    audit.record(Action.MFA_ENABLED, request=request, actor=user, detail=user.email)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    record_authentication(request, user, "password", email=user.email)
    record_mfa(request, user, totp.instance)


# --- News by email ------------------------------------------------------------------------

_NEWS_SALT = "sportello.accounts.news-unsubscribe"


def news_unsubscribe_url(client: Client) -> str:
    """The one-click unsubscribe link of a client's news mail (RFC 8058): signed, so it
    names the client without a login, and nobody can make one for another client."""
    token = signing.Signer(salt=_NEWS_SALT).sign(str(client.pk))
    return settings.SITE_URL + reverse("portal:news_unsubscribe", args=[token])


def client_of_unsubscribe_token(token: str) -> Client | None:
    try:
        pk = signing.Signer(salt=_NEWS_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Client.objects.filter(pk=int(pk)).first() if pk.isdigit() else None


def unsubscribe_from_news(client: Client, request: HttpRequest | None = None) -> bool:
    """True when the client was receiving the news and no longer does."""
    changed = Client.objects.filter(pk=client.pk, news_by_email=True).update(news_by_email=False)
    if changed:
        audit.record(Action.PROFILE_CHANGED, request=request, client=client,
                     detail="news_by_email")  # fmt: skip
    return bool(changed)


# --- Account contacts, signed-in sessions, login history ---------------------------------


@transaction.atomic
def add_contact(request: HttpRequest, client: Client, form: "ModelForm[AccountContact]") -> (
    AccountContact
):  # fmt: skip
    """`form`: the contact form, valid; the contact belongs to `client`."""
    contact = form.save(commit=False)
    contact.client = client
    contact.save()
    audit.record(Action.ACCOUNT_CONTACT_ADDED, request=request, client=client, detail=str(contact))
    return contact


@transaction.atomic
def remove_contact(request: HttpRequest, contact: AccountContact) -> None:
    audit.record(
        Action.ACCOUNT_CONTACT_REMOVED, request=request, client=contact.client, detail=str(contact)
    )
    contact.delete()


def record_session(request: HttpRequest, user: User) -> None:
    """Called when someone signs in: the session joins the list on the security page."""
    if not request.session.session_key:
        request.session.save()
    key = request.session.session_key
    if key is None:
        return
    SignedInSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip_address": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "created_at": timezone.now(),
        },
    )


def forget_session(session_key: str | None) -> None:
    if session_key:
        SignedInSession.objects.filter(session_key=session_key).delete()


def _store(session_key: str | None = None) -> SessionBase:
    engine = import_module(settings.SESSION_ENGINE)
    store: SessionBase = engine.SessionStore(session_key)
    return store


def end_session_key(session_key: str) -> None:
    """Sign that browser out, wherever it is."""
    _store().delete(session_key)


def active_sessions(user: User) -> list[SignedInSession]:
    """The user's sessions that still exist (expired ones are dropped from the list)."""
    alive = []
    for session in user.signed_in_sessions.all():
        store = _store(session.session_key)
        if store.exists(session.session_key) and str(store.get("_auth_user_id")) == str(user.pk):
            alive.append(session)
        else:
            session.delete()
    return alive


@transaction.atomic
def end_session(request: HttpRequest, user: User, pk: int) -> bool:
    """End one of the user's sessions, anywhere; False when there is no such session."""
    session = user.signed_in_sessions.filter(pk=pk).first()
    if session is None:
        return False
    _store().delete(session.session_key)
    session.delete()
    audit.record(
        Action.SESSION_ENDED,
        request=request,
        actor=user,
        client=getattr(user, "client", None),
        detail=f"{session.ip_address or ''} {session.user_agent[:80]}".strip(),
    )
    return True


LOGIN_HISTORY = [
    Action.LOGIN, Action.LOGOUT, Action.LOGIN_FAILED, Action.PASSWORD_CHANGED,
    Action.PASSWORD_RESET, Action.MFA_ENABLED, Action.MFA_DISABLED, Action.SESSION_ENDED,
    Action.CONTACT_CHANGED,
]  # fmt: skip


def login_history(user: User, limit: int = 30) -> QuerySet[AuditEvent]:
    """Sign-ins, failed attempts on this address, and changes to how one signs in."""
    return AuditEvent.objects.filter(
        Q(actor=user, action__in=LOGIN_HISTORY)
        | Q(action=Action.LOGIN_FAILED, detail__iexact=user.email)
    ).order_by("-at", "-id")[:limit]


@transaction.atomic
def set_notifications(request: HttpRequest, client: Client, *, news: bool) -> None:
    if client.news_by_email != news:
        client.news_by_email = news
        client.save(update_fields=["news_by_email"])
        audit.record(
            Action.NOTIFICATIONS_CHANGED, request=request, client=client,
            detail=f"news_by_email={news}",
        )  # fmt: skip
