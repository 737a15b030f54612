import re

import pytest
from django.urls import reverse

from sportello.accounts import throttle
from sportello.accounts.models import Client, User
from sportello.core.models import AuditEvent
from sportello.mail.models import OutboundEmail
from sportello.testing import PASSWORD, make_tier

pytestmark = pytest.mark.django_db

SIGNUP = {
    "name": "Giulia Neri",
    "kind": "person",
    "company_name": "",
    "email": "giulia@example.org",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "language": "es",
    "country": "IT",
    "fiscal_code": "RSSMRA85T10A562S",
    "address": "Via Roma 1",
    "postcode": "00184",
    "city": "Roma",
    "province": "RM",
    "accept_terms": "on",
    "accept_privacy": "on",
}


def confirmation_path(message) -> str:
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", text)
    assert link is not None
    return link.group(1)


def test_register_confirm_and_log_in(client, deliver_outbox, django_capture_on_commit_callbacks):
    make_tier("standard", is_default=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), SIGNUP)
    assert response.status_code == 302
    new_client = Client.objects.get(owner__email="giulia@example.org")
    assert new_client.name == "Giulia Neri"
    assert new_client.tier.code == "standard"
    assert new_client.owner.language == "es"

    [message] = deliver_outbox(1)
    assert message["To"] == "giulia@example.org"
    # Written in the language the client chose on the form.
    assert "confirme su dirección" in message["Subject"]
    path = confirmation_path(message)

    # Not confirmed yet: the login is refused and sends to the verification page.
    client.post(reverse("account_login"), {"login": "giulia@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in client.session

    with django_capture_on_commit_callbacks(execute=True):
        client.post(path)
    response = client.post(
        reverse("account_login"), {"login": "giulia@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    dashboard = client.get(reverse("portal:home"))
    assert dashboard.status_code == 200
    assert "Giulia Neri" in dashboard.content.decode()

    actions = set(AuditEvent.objects.filter(client=new_client).values_list("action", flat=True))
    assert {"signup", "email_confirmed", "login"} <= actions
    # The welcome email follows the confirmation, once.
    assert new_client.emails.filter(template="welcome").count() == 1


def test_company_without_name_is_refused_in_the_users_language(client):
    data = {**SIGNUP, "kind": "company", "company_name": ""}
    response = client.post(reverse("account_signup"), data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "A company needs its company name." in response.content.decode()
    assert not User.objects.filter(email="giulia@example.org").exists()


def test_failed_logins_are_audited_and_throttled(client, owner):
    for _attempt in range(6):
        client.post(reverse("account_login"), {"login": owner.contact_email, "password": "wrong"})
    failed = AuditEvent.objects.filter(action="login_failed", detail=owner.contact_email)
    assert failed.count() == throttle.FREE_FAILURES  # then the address has to wait
    # Throttled: even the right password is refused for a while.
    response = client.post(
        reverse("account_login"), {"login": owner.contact_email, "password": PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert response.status_code in (200, 429)


def test_no_password_is_ever_mailed(
    client, owner, deliver_outbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": owner.contact_email})
    [message] = deliver_outbox(1)
    text = message.get_body(("plain",)).get_content()
    assert PASSWORD not in text
    assert "/accounts/password/reset/key/" in text
    assert OutboundEmail.objects.get(client=owner).to_address == owner.contact_email


@pytest.mark.parametrize("form", ["reset", "unknown", "contact"])
def test_links_in_account_mail_name_site_url_whatever_host_was_asked(
    client, owner, settings, deliver_outbox, django_capture_on_commit_callbacks, form
):
    settings.ALLOWED_HOSTS = ["*"]  # a misconfigured server that answers any Host header
    settings.SITE_URL = "https://panel.provider.example"
    forged = {"HTTP_HOST": "evil.example"}
    with django_capture_on_commit_callbacks(execute=True):
        if form == "reset":
            client.post(reverse("account_reset_password"), {"email": owner.contact_email}, **forged)
        elif form == "unknown":
            client.post(reverse("account_reset_password"), {"email": "nobody@x.example"}, **forged)
        else:
            client.force_login(owner.owner)
            client.post(reverse("portal:contact_address"), {"email": "n@x.example"}, **forged)
    [message] = deliver_outbox(1)
    text = message.get_body(("plain",)).get_content()
    assert "evil.example" not in text
    assert "https://panel.provider.example/accounts/" in text
