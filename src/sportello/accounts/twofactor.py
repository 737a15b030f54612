"""Whether this session, not merely this user, passed the two-factor step (ACC-11)."""

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from .models import User


def session_passed_mfa(request: HttpRequest, user: User) -> bool:
    """allauth records each step of a login in the session, tied to the user who took it;
    a session taken over by another login (Django's admin form, a forced login) has none."""
    return any(r.get("method") == "mfa" for r in get_authentication_records(request, user))


def record_mfa(request: HttpRequest, user: User, authenticator: Authenticator) -> None:
    """The two-factor step was passed outside allauth's login (enrolment by invitation)."""
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
