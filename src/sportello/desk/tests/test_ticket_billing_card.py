"""The ticket page shows what the client owes only to those the client page shows it to:
administrators and billing clerks, not agents."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.accounts.models import User
from sportello.billing import actions as billing
from sportello.testing import make_department, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def owed(owner):
    """An open invoice of 1,234.00 net, and a ticket of the same client."""
    invoice = billing.create_invoice(
        owner, [billing.Line("Server", Decimal("1234.00"))], timezone.now(), send=False
    )
    return invoice, make_ticket(owner)


def pages(client, staff, owner, ticket) -> tuple[str, str]:
    client.force_login(staff)
    ticket_page = client.get(reverse("desk:ticket", args=[ticket.code]))
    client_page = client.get(reverse("desk:client", args=[owner.pk]))
    assert ticket_page.status_code == client_page.status_code == 200
    return ticket_page.content.decode(), client_page.content.decode()


def test_agents_see_no_open_invoice_on_the_ticket_page_as_on_the_client_page(client, owner, owed):
    invoice, ticket = owed
    agent = make_staff(User.Role.AGENT, departments=[ticket.department])
    ticket_page, client_page = pages(client, agent, owner, ticket)
    for page in (ticket_page, client_page):
        assert invoice.display_number not in page
        assert "Fatture aperte" not in page
        assert "1.505,48" not in page  # 1,234.00 + 22% VAT


@pytest.mark.parametrize("role", [User.Role.ADMIN, User.Role.BILLING])
def test_administrators_and_billing_clerks_see_them_on_both_pages(client, owner, owed, role):
    invoice, ticket = owed
    staff = make_staff(role, departments=[ticket.department, make_department("sales", "Sales")])
    ticket_page, client_page = pages(client, staff, owner, ticket)
    for page in (ticket_page, client_page):
        assert invoice.display_number in page
        assert "1.505,48" in page
