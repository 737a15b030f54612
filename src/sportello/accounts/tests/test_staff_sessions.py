"""Every staff session passed the two-factor step for that very user, by the only door."""

import re

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY,
    AUTHENTICATION_METHODS_SESSION_KEY,
)
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from sportello.accounts import actions
from sportello.accounts.models import User
from sportello.core.models import AuditEvent
from sportello.testing import PASSWORD, TOTP_SECRET, make_staff, totp_code

pytestmark = pytest.mark.django_db


def signed_in_as(client):
    return client.session.get(SESSION_KEY)


def test_admin_login_form_does_not_hand_another_staff_members_session(client):
    agent = make_staff(User.Role.AGENT)
    admin = make_staff(User.Role.ADMIN, email="boss@sportello.example")
    client.force_login(agent)
    assert client.get("/admin/login/").status_code == 403

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin.email, "password": PASSWORD, "next": "/admin/"},
    )
    assert response.status_code == 403
    assert signed_in_as(client) == str(agent.pk)
    # The agent is still the agent: the admin stays closed to them.
    assert client.get("/admin/", follow=True).status_code == 403
    assert client.get(reverse("desk:home")).status_code == 200


def test_admin_login_form_signs_nobody_in_with_a_password_alone(client):
    admin = make_staff(User.Role.ADMIN)
    response = client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert signed_in_as(client) is None


@pytest.mark.parametrize("role", [User.Role.ADMIN, User.Role.BILLING, User.Role.AGENT])
def test_staff_session_that_skipped_the_two_factor_step_reaches_no_staff_page(client, role):
    staff = make_staff(role)
    for url in [reverse("desk:home"), "/admin/", "/desk/tickets/", "/panel/"]:
        client.force_login(staff, mfa=False)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url
        assert signed_in_as(client) is None, url


def test_two_factor_step_of_another_user_does_not_count(client):
    agent = make_staff(User.Role.AGENT)
    admin = make_staff(User.Role.ADMIN)
    client.force_login(admin, mfa=False)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"method": "mfa", "at": 0, "type": "totp"}]
    session[_AUTHENTICATION_METHODS_USER_SESSION_KEY] = str(agent.pk)
    session.save()
    assert client.get("/admin/").status_code == 302
    assert signed_in_as(client) is None


def test_staff_sign_in_with_password_then_code_reaches_the_desk(client):
    staff = make_staff(User.Role.AGENT)
    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("desk:home")).status_code == 302  # not yet
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    # Staff start at "/", which sends an agent on to the tickets queue.
    assert response["Location"] == reverse("root")
    assert client.get(reverse("root"))["Location"] == reverse("desk:tickets")
    assert client.get(reverse("desk:home")).status_code == 200


def test_staff_without_a_second_factor_is_not_signed_in_by_its_password(client):
    staff = make_staff(User.Role.ADMIN, totp=False)
    response = client.post(
        reverse("account_login"), {"login": staff.email, "password": PASSWORD}, follow=True
    )
    assert signed_in_as(client) is None
    assert "invitation" in response.content.decode().lower() or "invito" in (
        response.content.decode().lower()
    )
    # Nor can anyone who knows the password pair an app of their own.
    assert client.get(reverse("mfa_activate_totp")).status_code == 302
    assert not Authenticator.objects.filter(user=staff).exists()


def _invitation_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+(/accounts/staff/enrol/\S+/)", text)
    assert link is not None
    return link.group(1)


def test_new_staff_enrol_only_through_the_link_mailed_to_them(
    client, deliver_outbox, django_capture_on_commit_callbacks
):
    admin = make_staff(User.Role.ADMIN)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:accounts_user_add"),
            {
                "email": "new.agent@sportello.example",
                "password1": "Initial-pass-8812",
                "password2": "Initial-pass-8812",
                "usable_password": "true",
                "role": User.Role.AGENT,
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    new = User.objects.get(email="new.agent@sportello.example")
    [invitation] = deliver_outbox(1)
    assert invitation["To"] == new.email
    link = _invitation_link(invitation)

    # The administrator knows the first password, and still cannot get in or enrol.
    client.logout()
    client.post(reverse("account_login"), {"login": new.email, "password": "Initial-pass-8812"})
    assert signed_in_as(client) is None

    page = client.get(link)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    secret = client.session["staff_enrolment_secret"]["secret"]
    wrong = client.post(
        link, {"password1": "Chosen-pass-4471", "password2": "Chosen-pass-4471", "code": "000000"}
    )
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=new).exists()
    response = client.post(
        link,
        {
            "password1": "Chosen-pass-4471",
            "password2": "Chosen-pass-4471",
            "code": totp_code(secret),
        },
    )
    assert response["Location"] == reverse("desk:home")
    assert client.get(reverse("desk:home")).status_code == 200
    assert AuditEvent.objects.filter(action="staff_invited", detail=new.email).exists()

    # The link works once.
    client.logout()
    assert client.get(link).status_code == 410


def test_an_enrolment_link_with_a_forged_token_does_not_open(client):
    staff = make_staff(User.Role.AGENT, totp=False)
    url = actions.staff_enrolment_url(staff)
    forged = re.sub(r"/([^/]+)/$", "/abc-0123456789abcdef/", url.split("8000")[-1])
    assert client.get(forged).status_code == 410
    assert client.get("/accounts/staff/enrol/!!!/x/").status_code == 410


def test_invitestaff_makes_the_first_administrator(capsys):
    from django.core.management import call_command

    call_command("invitestaff", "first@provider.example", "--role", "admin")
    admin = User.objects.get(email="first@provider.example")
    assert admin.is_admin and not admin.has_usable_password()
    assert "/accounts/staff/enrol/" in capsys.readouterr().out


def test_two_factor_secrets_are_encrypted_at_rest():
    staff = make_staff()
    totp = Authenticator.objects.get(user=staff, type="totp")
    assert totp.data["secret"].startswith("fernet:")
    assert TOTP_SECRET not in str(totp.data)
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes.activate(staff)
    assert codes.instance.data["seed"].startswith("fernet:")
    assert len(codes.get_unused_codes()) > 0


def test_migration_encrypts_secrets_stored_in_clear():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("sportello.accounts.migrations.0004_encrypt_mfa_secrets")
    staff = make_staff(totp=False)
    plain = Authenticator.objects.create(user=staff, type="totp", data={"secret": TOTP_SECRET})
    migration.encrypt_existing(apps, None)
    plain.refresh_from_db()
    assert plain.data["secret"].startswith("fernet:")
    from allauth.mfa.totp.internal.auth import TOTP

    assert TOTP(plain).validate_code(totp_code())
