"""Request kinds of the help desk (HD-15): an outage report is urgent for us; a backup or
restore request is included in the managed and global plans and extra-contract work priced
from the rate card for everyone else (SRV-13, seed 003)."""

from datetime import timedelta

import pytest
from django.urls import reverse

from sportello.billing.models import Charge
from sportello.extra import actions
from sportello.extra.models import Intervention
from sportello.extra.tests.conftest import at, attach_plan
from sportello.helpdesk import actions as helpdesk
from sportello.helpdesk.models import Category, Message, Priority, Ticket
from sportello.testing import make_client, make_product, make_service, make_ticket

pytestmark = pytest.mark.django_db
TUESDAY_10 = at(2026, 3, 10, 10, 0)
RESTORE = {
    "operation": "restore", "what": "La cartella /var/www/shop",
    "from_date": "2026-03-08", "destination": "same place",
}  # fmt: skip


def restore_request(client, service):
    return make_ticket(
        client, "backup-restore", subject="Ripristino della cartella shop di ieri",
        body="Abbiamo cancellato per errore la cartella del negozio.", now=TUESDAY_10,
        service=service, details=RESTORE,
    )  # fmt: skip


def events(ticket):
    return list(ticket.messages.filter(kind=Message.Kind.EVENT).values_list("event", flat=True))


@pytest.mark.parametrize("level", ["managed", "global"])
def test_a_restore_is_included_in_the_managed_and_global_plans(owner, server, level):
    attach_plan(owner, server, level)
    ticket = restore_request(owner, server)
    assert not Intervention.objects.filter(ticket=ticket).exists()
    assert events(ticket) == ["restore_included"]


@pytest.mark.parametrize("level", ["basic", "extended", None])
def test_a_restore_outside_those_plans_is_extra_contract_work_from_the_rate_card(
    owner, server, senior, level
):
    if level:
        attach_plan(owner, server, level)
    ticket = restore_request(owner, server)
    intervention = Intervention.objects.get(ticket=ticket)
    assert intervention.request == Intervention.Request.ORDINARY
    assert events(ticket) == ["restore_extra"]
    # Priced from the rate card like any extra-contract work, billed when closed.
    actions.take_in_charge(intervention, senior, senior, TUESDAY_10 + timedelta(minutes=20))
    start = TUESDAY_10 + timedelta(minutes=30)
    actions.log_time(
        intervention, senior, technician=senior, level="senior", kind="work", start=start,
        end=start + timedelta(minutes=50), now=start + timedelta(minutes=50),
    )  # fmt: skip
    expected = actions.running_charge(intervention).total
    assert expected > 0
    helpdesk.set_status(ticket, senior, Ticket.Status.CLOSED, TUESDAY_10 + timedelta(hours=2))
    assert Charge.objects.get(client=owner).amount == expected


def test_a_restore_of_a_hosting_plan_is_extra_contract(owner):
    hosting = make_service(owner, make_product("hosting-basic"), name="olga.it")
    ticket = restore_request(owner, hosting)
    assert Intervention.objects.filter(ticket=ticket).exists()


def test_the_client_reads_whether_the_restore_is_included(client, owner, server):
    attach_plan(owner, server, "global")
    included = restore_request(owner, server)
    other = make_client(language="es")
    hosting = make_service(other, make_product("hosting-es"), name="tienda.es")
    extra = restore_request(other, hosting)
    client.force_login(owner.owner)
    page = client.get(reverse("portal:ticket", args=[included.code])).content.decode()
    assert "Incluso nel tuo piano di assistenza Globale: nessun costo." in page
    client.force_login(other.owner)
    page = client.get(reverse("portal:ticket", args=[extra.code])).content.decode()
    assert "No incluido en su plan de asistencia" in page


def test_an_outage_report_from_the_panel_is_high_priority_and_asks_what_is_down(client, owner):
    site = make_service(owner, make_product("hosting-x"), name="olga.it")
    client.force_login(owner.owner)
    url = reverse("portal:ticket_new")
    outage = Category.objects.get(code="outage")
    form = {
        "category": outage.pk, "service": site.pk, "priority": "low",
        "subject": "Il sito olga.it non risponde da stamattina",
        "description": "Errore 503 su tutte le pagine.",
    }  # fmt: skip
    missing = client.post(url, form)
    assert missing.status_code == 200 and not Ticket.objects.exists()
    assert {"since", "affected"} <= set(missing.context["form"].errors)
    response = client.post(url, {**form, "since": "08:30", "affected": "tutto il sito"})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.priority == Priority.HIGH  # whatever the client chose
    assert ticket.details["affected"] == "tutto il sito"
    assert make_ticket(owner, "hosting", now=TUESDAY_10).priority == Priority.NORMAL


def test_a_restore_with_a_plan_is_never_billed(owner, server, senior):
    attach_plan(owner, server, "managed")
    ticket = restore_request(owner, server)
    helpdesk.set_status(ticket, senior, Ticket.Status.CLOSED, TUESDAY_10 + timedelta(hours=1))
    assert not Charge.objects.exists()
