"""Staff search tickets by code, client and words, on the full-text index each database
keeps (PostgreSQL's generated tsvector, SQLite's FTS5 tables with triggers), and find only
the tickets of their departments."""

import time

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.helpdesk import actions, search
from sportello.helpdesk.models import Department
from sportello.testing import make_client, make_service, make_staff, make_ticket

pytestmark = pytest.mark.django_db
URL = reverse("desk:ticket_search")


@pytest.fixture
def agent(client):
    staff = make_staff(departments=[Department.objects.get(code="helpdesk")])
    client.force_login(staff)
    return staff


@pytest.fixture
def tickets(owner):
    slow = make_ticket(
        owner,
        subject="Sito lento da stamattina",
        body="La pagina del carrello è lentissima, il certificato è scaduto ieri.",
        service=make_service(owner, name="negozio-olga.it"),
    )
    mail = make_ticket(owner, "email", subject="Posta non arriva", body="Nessuna email da lunedì.")
    bill = make_ticket(
        make_client("rossi@example.net", name="Mario Rossi"),
        "administrative",
        subject="Fattura doppia",
        body="Mi è arrivata due volte la stessa fattura del perché.",
    )  # a Sales ticket
    return {"slow": slow, "mail": mail, "bill": bill}


def codes(response) -> set[str]:
    assert response.status_code == 200
    return {hit.ticket.code for hit in response.context["found"].hits}


def test_an_exact_code_opens_the_ticket(client, agent, tickets):
    code = tickets["slow"].code
    response = client.get(URL, {"q": f"  {code.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("desk:ticket", args=[code])


def test_a_word_of_the_subject_or_a_message_finds_the_ticket(client, agent, tickets):
    assert codes(client.get(URL, {"q": "lento"})) == {tickets["slow"].code}
    response = client.get(URL, {"q": "certificato scaduto"})
    assert codes(response) == {tickets["slow"].code}
    html = response.content.decode()
    assert "<mark>certificato</mark> è <mark>scaduto</mark>" in html
    # Accents do not matter either way, and a word's beginning is enough.
    assert codes(client.get(URL, {"q": "LUNEDI"})) == {tickets["mail"].code}
    assert codes(client.get(URL, {"q": "lentissim"})) == {tickets["slow"].code}
    # Every word must be there.
    assert codes(client.get(URL, {"q": "certificato posta"})) == set()


def test_client_email_domain_and_name(client, agent, tickets):
    assert codes(client.get(URL, {"q": "OWNER@example.org"})) == {
        tickets["slow"].code,
        tickets["mail"].code,
    }
    response = client.get(URL, {"q": "Negozio-Olga.IT"})
    assert response.context["found"].kind == "domain"
    assert tickets["slow"].code in codes(response)
    assert codes(client.get(URL, {"q": "olga owner"})) == {
        tickets["slow"].code,
        tickets["mail"].code,
    }


def test_an_agent_does_not_find_another_departments_tickets(client, agent, tickets):
    bill = tickets["bill"]
    assert codes(client.get(URL, {"q": "fattura"})) == set()
    assert codes(client.get(URL, {"q": "rossi@example.net"})) == set()
    assert codes(client.get(URL, {"q": "Mario Rossi"})) == set()
    # The code does not open it, nor say it exists.
    assert client.get(URL, {"q": bill.code}).status_code == 200
    admin = make_staff("admin")
    client.force_login(admin)
    assert codes(client.get(URL, {"q": "fattura perche"})) == {bill.code}
    assert client.get(URL, {"q": bill.code}).status_code == 302


def test_a_message_written_later_is_found(client, agent, tickets):
    ticket = tickets["mail"]
    assert codes(client.get(URL, {"q": "spam antispam"})) == set()
    actions.reply_as_staff(ticket, agent, "Controllate la cartella spam e il filtro antispam.",
                           timezone.now())  # fmt: skip
    assert codes(client.get(URL, {"q": "spam antispam"})) == {ticket.code}
    ticket.subject = "Messaggi respinti"
    ticket.save(update_fields=["subject"])
    assert codes(client.get(URL, {"q": "respinti"})) == {ticket.code}
    assert codes(client.get(URL, {"q": "arriva"})) == set()


@pytest.mark.parametrize(
    "query",
    [
        '"', "'", "\"certificato' OR", "a & b | !c", "NEAR(a b)", "col:val", "*", "-", "^x",
        "\x00", "cert\x00ificato", "x" * 10_000, "parola " * 2000, "():*&|!<->",
        "a@b", "@@", "..", "é" * 300, "ABC-123-45678", "-1", "🙂", "%_%", "\\",
    ],
)  # fmt: skip
def test_hostile_input_finds_nothing_or_something_but_never_fails(client, agent, tickets, query):
    response = client.get(URL, {"q": query})
    assert response.status_code == 200


def test_a_long_query_is_cut_and_says_so(client, agent, tickets):
    response = client.get(URL, {"q": "lento " + "x" * 400})
    assert response.status_code == 200
    assert "200" in response.content.decode()


def test_too_many_matches_ask_to_refine(client, agent, owner, monkeypatch):
    monkeypatch.setattr(search, "LIMIT", 2)
    for _ in range(3):
        make_ticket(owner, subject="Backup notturno fallito")
    response = client.get(URL, {"q": "backup"})
    assert len(response.context["found"].hits) == 2
    assert response.context["found"].more


def test_the_queue_has_the_search_box(client, agent):
    html = client.get(reverse("desk:tickets")).content.decode()
    assert f'action="{URL}"' in html


def test_a_snippet_of_a_huge_message_costs_no_more_than_a_long_one():
    text = "Errore 500 nel carrello. " + "riga di log ripetuta " * 200_000  # about 4 MB
    started = time.process_time()
    snippet = search.highlight(text, ["carrello"])
    assert time.process_time() - started < 0.5
    assert "<mark>carrello</mark>" in snippet and len(snippet) < 1_000
