"""Where staff start: agents their queue, billing clerks the billing pages, administrators
the overview; `/` sends each to their page, never a 404."""

import pytest
from django.urls import reverse

from sportello.accounts.models import User
from sportello.testing import make_staff

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role, page",
    [(User.Role.AGENT, "desk:tickets"), (User.Role.BILLING, "desk:invoices"),
     (User.Role.ADMIN, "desk:overview")],
)  # fmt: skip
def test_root_sends_staff_to_their_starting_page(client, role, page):
    client.force_login(make_staff(role))
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == reverse(page)
    assert client.get(response["Location"]).status_code == 200


def test_root_sends_clients_and_visitors_to_the_client_area(client, owner):
    assert client.get("/")["Location"] == reverse("portal:home")
    client.force_login(owner.owner)
    assert client.get("/")["Location"] == reverse("portal:home")


def test_overview_counts_what_waits(client, owner):
    from sportello.testing import make_ticket

    make_ticket(owner)
    client.force_login(make_staff(User.Role.ADMIN))
    response = client.get(reverse("desk:overview"))
    assert response.status_code == 200
    assert response.context["tickets"]["open"] == 1
    assert response.context["tickets"]["unassigned"] == 1


def test_staff_sign_in_lands_on_their_page(rf):
    from sportello.accounts.adapter import AccountAdapter

    request = rf.get("/")
    request.user = make_staff(User.Role.BILLING)
    assert AccountAdapter(request).get_login_redirect_url(request) == "/"
