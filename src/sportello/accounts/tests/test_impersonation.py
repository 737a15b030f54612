"""Staff viewing the client area as a client: administrators and staff given the
permission, read-only (no request that could change anything passes, so no money moves),
recorded on the client and shown on their security page."""

import pytest
from django.contrib.auth.models import Permission
from django.template.loader import render_to_string
from django.urls import reverse

from sportello.accounts import impersonation
from sportello.accounts.models import User
from sportello.billing.models import Payment
from sportello.core.models import AuditEvent
from sportello.testing import make_staff

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


@pytest.fixture
def admin(db):
    return make_staff(User.Role.ADMIN, email="boss@sportello.example")


def view_as(client, owner):
    return client.post(reverse("desk:impersonate_start", args=[owner.pk]))


def test_administrator_sees_the_client_area_as_the_client(client, admin, owner):
    client.force_login(admin)
    response = view_as(client, owner)
    assert response["Location"] == reverse("portal:home")
    page = client.get(reverse("portal:invoices"))
    assert page.status_code == 200
    assert page.wsgi_request.user == owner.owner
    assert page.wsgi_request.impersonator == admin
    assert 'class="impersonation-banner"' in page.content.decode()
    event = AuditEvent.objects.get(action=Action.IMPERSONATION_STARTED)
    assert event.client_id == owner.pk and event.actor == admin


def test_every_post_is_refused_while_viewing_as_the_client(client, admin, owner):
    client.force_login(admin)
    view_as(client, owner)
    for name in ("portal:add_funds", "portal:profile", "portal:ticket_new"):
        assert client.post(reverse(name), {"amount": "50"}).status_code == 403
    assert not Payment.objects.exists()
    owner.refresh_from_db()
    # The desk stays the staff member's own.
    assert client.get(reverse("desk:client", args=[owner.pk])).status_code == 200


def test_stopping_returns_to_the_desk_and_is_recorded(client, admin, owner):
    client.force_login(admin)
    view_as(client, owner)
    response = client.post(reverse("desk:impersonate_stop"))
    assert response["Location"] == reverse("desk:client", args=[owner.pk])
    assert AuditEvent.objects.filter(action=Action.IMPERSONATION_ENDED, client=owner).exists()
    # Back to staff: the client area is not theirs.
    assert client.get(reverse("portal:invoices")).status_code == 404


def test_agents_need_the_permission(client, owner):
    agent = make_staff(User.Role.AGENT)
    client.force_login(agent)
    assert view_as(client, owner).status_code == 403
    agent.user_permissions.add(Permission.objects.get(codename="impersonate_client"))
    agent = User.objects.get(pk=agent.pk)  # permissions are cached on the instance
    client.force_login(agent)
    assert view_as(client, owner).status_code == 302
    assert client.get(reverse("portal:home")).wsgi_request.user == owner.owner


def test_losing_the_right_ends_the_view(client, owner):
    agent = make_staff(User.Role.AGENT)
    agent.user_permissions.add(Permission.objects.get(codename="impersonate_client"))
    client.force_login(agent)
    view_as(client, owner)
    agent.user_permissions.clear()
    assert client.get(reverse("portal:home")).status_code == 404


def test_the_client_reads_the_visits_on_their_security_page(client, admin, owner):
    client.force_login(admin)
    view_as(client, owner)
    visits = impersonation.staff_visits(owner)
    assert [visit.actor for visit in visits] == [admin]
    html = render_to_string("accounts/_staff_visits.html", {"visits": visits})
    assert "boss@sportello.example" in html
