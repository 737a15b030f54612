"""Security events into the audit log."""

from allauth.account import signals as account_signals
from allauth.mfa import signals as mfa_signals
from django.contrib.auth import signals as auth_signals
from django.dispatch import receiver

from sportello.core import audit
from sportello.core.models import AuditEvent

from . import actions

Action = AuditEvent.Action


def _client(user):
    return getattr(user, "client", None) if user is not None else None


@receiver(auth_signals.user_logged_in)
def logged_in(sender, request, user, **kwargs):
    audit.record(Action.LOGIN, request=request, actor=user, client=_client(user))
    if request is not None and hasattr(request, "session"):
        actions.record_session(request, user)


@receiver(auth_signals.user_logged_out)
def logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(Action.LOGOUT, request=request, actor=user, client=_client(user))
    if request is not None and hasattr(request, "session"):
        actions.forget_session(request.session.session_key)


@receiver(auth_signals.user_login_failed)
def login_failed(sender, credentials, request=None, **kwargs):
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:200]
    audit.record(Action.LOGIN_FAILED, request=request, actor=None, detail=attempted)


@receiver(account_signals.email_confirmed)
def email_confirmed(sender, request, email_address, **kwargs):
    user = email_address.user
    client = _client(user)
    audit.record(
        Action.EMAIL_CONFIRMED,
        request=request,
        actor=user,
        client=client,
        detail=email_address.email,
    )
    # A confirmed change of the contact address is no registration: the old address is
    # still there, verified, until allauth removes it right after this signal.
    changing = (
        type(email_address)
        .objects.filter(user=user, verified=True)
        .exclude(pk=email_address.pk)
        .exists()
    )
    if client is not None and not changing:
        actions.welcome_once(client)


@receiver(account_signals.email_changed)
def email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    old = from_email_address.email if from_email_address else ""
    # A new address has not bounced yet.
    type(user).objects.filter(pk=user.pk).update(email_bounced_at=None)
    audit.record(
        Action.CONTACT_CHANGED,
        request=request,
        actor=user,
        client=_client(user),
        detail=f"{old} → {to_email_address.email}",
    )


@receiver(account_signals.password_changed)
def password_changed(sender, request, user, **kwargs):
    audit.record(Action.PASSWORD_CHANGED, request=request, actor=user, client=_client(user))


@receiver(account_signals.password_reset)
def password_reset(sender, request, user, **kwargs):
    audit.record(Action.PASSWORD_RESET, request=request, actor=user, client=_client(user))


@receiver(mfa_signals.authenticator_added)
def mfa_added(sender, request, user, authenticator, **kwargs):
    audit.record(
        Action.MFA_ENABLED,
        request=request,
        actor=user,
        client=_client(user),
        detail=authenticator.type,
    )


@receiver(mfa_signals.authenticator_removed)
def mfa_removed(sender, request, user, authenticator, **kwargs):
    audit.record(
        Action.MFA_DISABLED,
        request=request,
        actor=user,
        client=_client(user),
        detail=authenticator.type,
    )
