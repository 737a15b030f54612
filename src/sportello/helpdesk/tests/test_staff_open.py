"""A ticket opened by staff for a client: the client's rules, the staff channel."""

import pytest
from django.urls import reverse

from sportello.accounts.models import User
from sportello.helpdesk.models import Category, Ticket
from sportello.testing import make_service, make_staff

pytestmark = pytest.mark.django_db


def test_agent_opens_a_ticket_for_a_client(client, owner):
    agent = make_staff(User.Role.AGENT)
    service = make_service(owner, name="olga.it")
    client.force_login(agent)
    page = client.get(reverse("desk:ticket_new"), {"client": owner.pk})
    assert page.status_code == 200
    response = client.post(
        reverse("desk:ticket_new"),
        {"client": str(owner.pk), "category": Category.objects.get(code="hosting").pk,
         "service": "OLGA.IT", "priority": "normal", "subject": "Sito olga.it lento al telefono",
         "description": "Il cliente ha chiamato: il sito è lento."},
    )  # fmt: skip
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("desk:ticket", args=[ticket.code])
    assert ticket.client == owner and ticket.service == service
    assert ticket.channel == Ticket.Channel.STAFF and ticket.opened_by == agent


def test_the_clients_rules_answer_as_form_errors(client, owner):
    client.force_login(make_staff(User.Role.AGENT))
    response = client.post(
        reverse("desk:ticket_new"),
        {"client": str(owner.pk), "category": Category.objects.get(code="hosting").pk,
         "service": "not-theirs.it", "priority": "normal", "subject": "aiuto",
         "description": "x"},
    )  # fmt: skip
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "service" in errors
    assert not Ticket.objects.exists()
