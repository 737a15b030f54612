"""A ticket subject is one line, whatever channel opened the ticket: it heads every
notification and mail subject, so no header or second line can ride in on it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.extra.models import Skill
from sportello.helpdesk.actions import open_ticket
from sportello.helpdesk.models import Category, Ticket
from sportello.testing import make_service, make_staff

pytestmark = pytest.mark.django_db
CRAFTED = "Posta ferma\r\nBcc: spia@evil.example\n\nX-Priority: 1\x0b\u2028seconda riga\u202e"
ONE_LINE = "Posta ferma Bcc: spia@evil.example X-Priority: 1 seconda riga"


def test_the_panel_form_folds_the_subject_onto_one_line(client, owner):
    client.force_login(owner.owner)
    service = make_service(owner, name="olga.it")
    response = client.post(reverse("portal:ticket_new"), {
        "category": Category.objects.get(code="hosting").pk, "service": service.pk,
        "priority": "normal", "subject": CRAFTED, "description": "Nessuna mail da ieri.",
    })  # fmt: skip
    ticket = Ticket.objects.get()
    assert response.url == reverse("portal:ticket", args=[ticket.code])
    assert ticket.subject == ONE_LINE


def test_the_extra_contract_form_folds_the_subject_onto_one_line(client, owner):
    client.force_login(owner.owner)
    client.post(reverse("extra:request"), {
        "request": "ordinary", "skill": Skill.objects.get(code="linux").pk,
        "subject": CRAFTED, "description": "Aggiornare PHP.",
    })  # fmt: skip
    assert Ticket.objects.get().subject == ONE_LINE


def test_a_ticket_opened_by_email_has_a_one_line_subject_and_alerts(owner, deliver_outbox):
    helpdesk = Category.objects.get(code="hosting").department
    agent = make_staff(departments=[helpdesk], email="carla@sportello.example")
    ticket = open_ticket(
        owner, category=helpdesk.email_category or Category.objects.get(code="hosting"),
        subject=CRAFTED, body="Nessuna mail da ieri.", now=timezone.now(),
        channel=Ticket.Channel.EMAIL,
    )  # fmt: skip
    assert ticket.subject == ONE_LINE
    alert = next(mail for mail in deliver_outbox(2) if mail["To"] == agent.email)
    assert alert["Bcc"] is None and alert["X-Priority"] is None
    assert ONE_LINE in str(alert["Subject"])
