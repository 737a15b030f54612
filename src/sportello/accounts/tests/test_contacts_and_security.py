"""Account contacts (copies of the emails of their kind, tickets by email), the security
page (sessions ended from anywhere, sign-in history, two-factor) and notification
preferences."""

from decimal import Decimal

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from django.utils import timezone

from sportello.accounts.models import AccountContact
from sportello.billing import actions as billing
from sportello.conftest import SignInClient
from sportello.mail.models import OutboundEmail

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, owner):
    owner.owner.language = "en"
    owner.owner.save()
    client.force_login(owner.owner)
    return client


def test_contacts_are_added_removed_and_checked(logged_in, owner, other_client):
    url = reverse("portal:contacts")
    response = logged_in.post(url, {"name": "Anna", "email": "Anna@Studio.example",
                                    "billing": "on"}, follow=True)  # fmt: skip
    assert "Anna is now a contact" in response.content.decode()
    contact = owner.contacts.get()
    assert contact.email == "anna@studio.example" and contact.billing and not contact.technical
    # The account's own address, the same person twice, or nothing chosen: form errors.
    for data in [
        {"name": "Me", "email": owner.contact_email, "billing": "on"},
        {"name": "Anna", "email": "anna@studio.example", "technical": "on"},
        {"name": "Bob", "email": "bob@example.net"},
    ]:
        response = logged_in.post(url, data)
        assert response.status_code == 200 and response.context["form"].errors
    assert owner.contacts.count() == 1
    # Another client's contact cannot be removed through this account.
    theirs = AccountContact.objects.create(client=other_client, name="X", email="x@x.example",
                                           technical=True)  # fmt: skip
    remove = reverse("portal:contact_remove", args=[theirs.pk])
    assert logged_in.post(remove).status_code == 404
    logged_in.post(reverse("portal:contact_remove", args=[contact.pk]))
    assert not owner.contacts.exists()
    actions = set(owner.audit_events.values_list("action", flat=True))
    assert {"account_contact_added", "account_contact_removed"} <= actions


def test_contacts_get_copies_of_their_kind_only(owner):
    AccountContact.objects.create(client=owner, name="Acc", email="acc@example.net", billing=True)
    AccountContact.objects.create(client=owner, name="Dev", email="dev@example.net",
                                  technical=True)  # fmt: skip
    billing.create_invoice(owner, [billing.Line("Hosting", Decimal("10.00"))], timezone.now())
    to = sorted(OutboundEmail.objects.values_list("to_address", flat=True))
    assert to == ["acc@example.net", owner.contact_email]
    # The copy is not part of the client's mail history, which keeps the registered address.
    assert list(owner.emails.values_list("to_address", flat=True)) == [owner.contact_email]


def test_security_page_lists_sessions_ends_one_and_shows_history(owner):
    owner.owner.language = "en"
    owner.owner.save()
    here, elsewhere = SignInClient(), SignInClient()
    here.force_login(owner.owner)
    elsewhere.force_login(owner.owner)
    page = here.get(reverse("portal:security"))
    sessions = page.context["sessions"]
    assert len(sessions) == 2
    html = page.content.decode()
    assert "this browser" in html and "Sign-in history" in html and "Two-factor login" in html
    other = next(s for s in sessions if s.session_key != here.session.session_key)
    here.post(reverse("portal:session_end", args=[other.pk]))
    # The other browser is signed out; this one still in.
    assert elsewhere.get(reverse("portal:home")).status_code == 302
    assert here.get(reverse("portal:home")).status_code == 200
    assert len(here.get(reverse("portal:security")).context["sessions"]) == 1
    assert owner.audit_events.filter(action="session_ended").exists()
    history = [e.action for e in here.get(reverse("portal:security")).context["history"]]
    assert "login" in history and "session_ended" in history


def test_another_users_session_cannot_be_ended(owner, other_client):
    theirs = SignInClient()
    theirs.force_login(other_client.owner)
    session = other_client.owner.signed_in_sessions.get()
    mine = SignInClient()
    mine.force_login(owner.owner)
    mine.post(reverse("portal:session_end", args=[session.pk]))
    assert theirs.get(reverse("portal:home")).status_code == 200
    assert SESSION_KEY in theirs.session


def test_notification_preferences_use_the_news_setting(logged_in, owner):
    assert owner.news_by_email
    logged_in.post(reverse("portal:security"), {})
    owner.refresh_from_db()
    assert not owner.news_by_email
    logged_in.post(reverse("portal:security"), {"news_by_email": "on"})
    owner.refresh_from_db()
    assert owner.news_by_email
    assert owner.audit_events.filter(action="notifications_changed").count() == 2
