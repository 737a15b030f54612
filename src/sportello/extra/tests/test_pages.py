"""The extra-contract pages as clients and staff use them, who may reach what, and the
`sportello estimate` command."""

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from sportello.extra import actions
from sportello.extra.models import Intervention
from sportello.extra.tests.conftest import at
from sportello.helpdesk.models import Department, Ticket
from sportello.testing import make_staff, make_tier

pytestmark = pytest.mark.django_db
TUESDAY_10 = at(2026, 3, 10, 10, 0)


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


@time_machine.travel(TUESDAY_10, tick=False)
def test_client_reads_the_rate_card_and_requests_urgent_work(client, owner, linux):
    client.force_login(owner.owner)
    tickets = page(client, reverse("portal:tickets"))
    assert reverse("extra:home") in tickets
    home = page(client, reverse("extra:home"))
    assert "27,00\xa0€ ogni 30 min o frazione" in home and "230,00\xa0€ per i primi 120 min" in home
    assert reverse("extra:request") in home and reverse("extra:estimate") in home
    response = client.post(reverse("extra:request"), {
        "request": "urgent", "skill": linux.pk, "subject": "Server srv1 violato",
        "description": "Processi sconosciuti consumano tutta la CPU.",
    })  # fmt: skip
    intervention = Intervention.objects.get()
    assert response.url == reverse("portal:ticket", args=[intervention.ticket.code])
    assert intervention.request == "urgent" and intervention.skill == linux
    assert intervention.take_in_charge_due == TUESDAY_10 + timedelta(hours=1)
    ticket_page = page(client, response.url)
    assert "In attesa di presa in carico" in ticket_page
    assert "con il diritto fisso di urgenza" in ticket_page


@time_machine.travel(TUESDAY_10, tick=False)
def test_planned_request_too_soon_is_refused_in_the_clients_language(client, linux):
    from sportello.testing import make_client

    lucia = make_client("lucia@example.es", language="es")
    client.force_login(lucia.owner)
    response = client.post(reverse("extra:request"), {
        "request": "planned", "skill": linux.pk, "subject": "Actualizar PHP en srv1",
        "description": "Pasar de PHP 8.1 a 8.3.", "preferred_start": "2026-03-10T23:00",
    }, HTTP_ACCEPT_LANGUAGE="es")  # fmt: skip
    assert response.status_code == 200
    assert "día(s) laborable(s) de antelación" in response.content.decode()
    assert not Ticket.objects.exists()


def test_clients_whose_tier_has_no_help_desk_are_told_how_to_get_it(client):
    from sportello.testing import make_client

    client_without = make_client(tier=make_tier("bronze", helpdesk_access=False))
    client.force_login(client_without.owner)
    assert "form" not in page(client, reverse("extra:request")).split("<main")[1][:200]
    assert not Ticket.objects.exists()


def test_free_estimate_page_shows_the_breakdown(client, owner):
    client.force_login(owner.owner)
    html = page(client, reverse("extra:estimate"), level="senior", kind="urgent",
                start="2026-03-10T23:00", minutes="50")  # fmt: skip
    assert "201,00\xa0€" in html and "Diritto fisso di urgenza" in html
    assert "Intervento urgente notturno o festivo" in html
    html = page(client, reverse("extra:estimate"), level="junior", kind="planned",
                start="2026-03-10T23:00", minutes="300")  # fmt: skip
    assert "300,00\xa0€" in html and "preventivo" in html
    html = page(client, reverse("extra:estimate"), level="junior", kind="ordinary",
                start="", minutes="0")  # fmt: skip
    assert "Questo campo è obbligatorio" in html


def test_other_client_can_neither_see_nor_answer_the_quote(client, owner, other_client):
    intervention = actions.request_intervention(
        owner, request="ordinary", subject="Migrare il database di srv1",
        body="Da MySQL 5.7 a 8.0.", now=TUESDAY_10,
    )  # fmt: skip
    code = intervention.ticket.code
    client.force_login(other_client.owner)
    assert client.get(reverse("portal:ticket", args=[code])).status_code == 404
    assert client.post(reverse("extra:quote", args=[code]),
                       {"decision": "approve"}).status_code == 404  # fmt: skip


@pytest.fixture
def taken(owner, senior):
    intervention = actions.request_intervention(
        owner, request="urgent", subject="Sito giù su srv1", body="Errore 502.", now=TUESDAY_10
    )
    return actions.take_in_charge(intervention, senior, senior, TUESDAY_10)


@time_machine.travel(TUESDAY_10 + timedelta(hours=2), tick=False)
def test_staff_log_time_and_the_client_sees_the_running_charge(client, owner, senior, taken):
    code = taken.ticket.code
    client.force_login(senior)
    desk = page(client, reverse("desk:ticket", args=[code]))
    assert 'id="extra"' in desk and "Registra il tempo" in desk
    response = client.post(reverse("extra:desk_action", args=[code, "log"]), {
        "technician": senior.pk, "level": "senior", "kind": "work",
        "start": "2026-03-10T10:20", "end": "2026-03-10T11:30", "note": "Riavviato php-fpm",
    })  # fmt: skip
    assert response.url.endswith("#extra")
    assert taken.entries.get().minutes == 70
    assert "153,00\xa0€" in page(client, reverse("desk:ticket", args=[code]))
    client.force_login(owner.owner)
    panel = page(client, reverse("portal:ticket", args=[code]))
    assert "Importo maturato" in panel and "153,00\xa0€" in panel


@time_machine.travel(TUESDAY_10 + timedelta(hours=2), tick=False)
def test_bad_time_entry_is_refused_with_a_message(client, senior, taken):
    code = taken.ticket.code
    client.force_login(senior)
    response = client.post(reverse("extra:desk_action", args=[code, "log"]), {
        "technician": senior.pk, "level": "senior", "kind": "work",
        "start": "2026-03-10T11:30", "end": "2026-03-10T10:20",
    }, follow=True)  # fmt: skip
    assert "La fine deve venire dopo l&#x27;inizio." in response.content.decode()
    assert not taken.entries.exists()


def test_staff_of_another_department_cannot_act_on_the_request(client, taken):
    sales = Department.objects.get(code="sales")
    client.force_login(make_staff(departments=[sales]))
    code = taken.ticket.code
    url = reverse("extra:desk_action", args=[code, "not_possible"])
    assert client.post(url, {"reason": "no"}).status_code == 404
    assert code not in page(client, reverse("extra:desk"))
    taken.refresh_from_db()
    assert taken.outcome == ""


def test_clients_cannot_use_the_desk_pages(client, owner, taken):
    client.force_login(owner.owner)
    assert client.get(reverse("extra:desk")).status_code == 403
    url = reverse("extra:desk_action", args=[taken.ticket.code, "not_possible"])
    assert client.post(url, {"reason": "no"}).status_code == 403


@time_machine.travel(TUESDAY_10 + timedelta(minutes=20), tick=False)
def test_desk_list_shows_the_countdown(client, owner, senior):
    actions.request_intervention(owner, request="urgent", subject="Disco pieno su srv1",
                                 body="/var al 100%.", now=TUESDAY_10)  # fmt: skip
    client.force_login(senior)
    html = page(client, reverse("extra:desk"))
    assert "tra 40 min" in html
    with time_machine.travel(TUESDAY_10 + timedelta(minutes=75), tick=False):
        assert "in ritardo di 15 min" in page(client, reverse("extra:desk"))


def test_unknown_desk_action_is_not_found(client, senior, taken):
    client.force_login(senior)
    url = reverse("extra:desk_action", args=[taken.ticket.code, "explode"])
    assert client.post(url).status_code == 404


# --- The command -----------------------------------------------------------------------------


def run(*args) -> str:
    out = StringIO()
    call_command("estimate", *args, stdout=out)
    return out.getvalue()


def test_estimate_command_prints_total_and_breakdown():
    out = run("--level", "junior", "--start", "2026-12-08T10:00", "--minutes", "45")
    assert out.strip().endswith("153.00 EUR + VAT")  # 8 December: urgent holiday work, 75 + 2 × 39
    data = json.loads(run("--level", "senior", "--start", "2026-03-10T10:00", "--minutes", "70",
                          "--urgent", "--json"))  # fmt: skip
    assert data["total"] == "153.00"
    assert data["breakdown"]["slices"] == 3 and data["breakdown"]["urgent_fee"] == "27.00"
    data = json.loads(run("--level", "junior", "--start", "2026-03-10T23:00", "--minutes", "10",
                          "--simple", "--json"))  # fmt: skip
    assert data["total"] == "27.00" and data["breakdown"]["band"] == "on_duty"


@pytest.mark.parametrize(
    "args",
    [
        ["--level", "junior", "--start", "ieri", "--minutes", "45"],
        ["--level", "junior", "--start", "2026-03-10T10:00", "--minutes", "0"],
        ["--level", "junior", "--start", "2026-03-10T10:00", "--minutes", "5", "--planned",
         "--urgent"],
    ],
)  # fmt: skip
def test_estimate_command_refuses_bad_input(args):
    with pytest.raises(CommandError):
        run(*args)


def test_estimate_command_exits_non_zero_with_one_line(tmp_path):
    import os
    import subprocess
    import sys

    from sportello.testing import database_env

    result = subprocess.run(
        [sys.executable, "-m", "sportello.cli", "estimate", "--level", "junior", "--start",
         "2026-03-10T10:00", "--minutes", "-5"],
        capture_output=True, text=True, env={**os.environ, **database_env()}, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
