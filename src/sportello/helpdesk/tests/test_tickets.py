"""Opening, answering, closing and merging tickets, with the mail the client receives."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from sportello.automation.registry import run_day
from sportello.catalog.models import ProductType
from sportello.helpdesk import actions
from sportello.helpdesk.models import Category, Message, Ticket
from sportello.testing import make_service, make_staff, make_support_plan, make_ticket, make_tier

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
FRIDAY_5PM = datetime(2026, 11, 20, 17, 0, tzinfo=ROME)


@pytest.fixture
def agent(db):
    helpdesk = Category.objects.get(code="hosting").department
    return make_staff(departments=[helpdesk], email="carla@sportello.example")


def test_code_looks_like_the_seed_and_heads_the_subject(owner, deliver_outbox):
    ticket = make_ticket(owner, subject="Sito olga.it lento")
    assert re.fullmatch(r"[A-Z]{3}-\d{3}-\d{5}", ticket.code)
    sent = deliver_outbox(1)
    mail = next(m for m in sent if m["To"] == owner.contact_email)
    assert f"[{ticket.code}]" in mail["Subject"]
    assert mail["Message-ID"] == ticket.thread_id()


def test_codes_are_not_sequential(owner):
    codes = {make_ticket(owner).code for _ in range(5)}
    assert len(codes) == 5


@pytest.mark.parametrize(
    "subject", ["Richiesta assistenza", "apertura ticket", "Aiuto!", "HELP", "ayuda",
                "richiesta di assistenza urgente"]
)  # fmt: skip
def test_generic_subjects_are_refused(owner, subject):
    with pytest.raises(ValidationError, match="oggetto generico"):
        make_ticket(owner, subject=subject)
    assert not Ticket.objects.exists()


def test_specific_subject_is_accepted(owner):
    assert make_ticket(owner, subject="Aiuto: DNS di olga.it non risolve").pk


def test_category_about_a_service_needs_one_of_the_clients_own(owner, other_client):
    with pytest.raises(ValidationError):
        make_ticket(owner, service=None)
    with pytest.raises(ValidationError):
        make_ticket(owner, service=make_service(other_client))
    assert make_ticket(owner, "commercial-info", subject="Prezzi hosting Pro").service is None


def test_tier_without_help_desk_cannot_open(owner):
    owner.tier = make_tier("basic", helpdesk_access=False)
    owner.save()
    with pytest.raises(ValidationError):
        make_ticket(owner)


def test_routing_follows_the_category(owner):
    assert make_ticket(owner, "administrative", subject="Fattura 12 doppia").department.code == (
        "sales"
    )
    assert make_ticket(owner, "dns").department.code == "helpdesk"


def test_friday_evening_ticket_due_in_office_hours(owner):
    ticket = make_ticket(owner, "commercial-info", subject="Prezzi VPS", now=FRIDAY_5PM)
    # Sales & Marketing, 9:00–17:30; normal priority: first answer in 4 working hours.
    assert ticket.priority == "normal"
    assert ticket.first_response_due == datetime(2026, 11, 23, 12, 30, tzinfo=ROME)
    # Solution within 24 working hours.
    assert ticket.resolution_due == datetime(2026, 11, 25, 15, 30, tzinfo=ROME)


def test_global_plan_tickets_are_high_priority_round_the_clock(owner):
    plan = make_support_plan("global", [(ProductType.DEDICATED, True)])
    make_service(owner, plan, name="Global srv1")
    ticket = make_ticket(owner, priority="low", now=FRIDAY_5PM)
    assert ticket.priority == "high" and ticket.round_the_clock
    assert ticket.first_response_due == FRIDAY_5PM + timedelta(hours=1)


def test_email_tickets_are_low_priority(owner):
    ticket = make_ticket(owner, priority="normal", channel=Ticket.Channel.EMAIL)
    assert ticket.priority == "low"


def test_staff_reply_threads_and_goes_only_to_the_registered_address(owner, agent, deliver_outbox):
    ticket = make_ticket(owner)
    deliver_outbox(2)  # the client's copy and the department's alert
    actions.reply_as_staff(ticket, agent, "Abbiamo riavviato il servizio.", FRIDAY_5PM)
    sent = deliver_outbox(3)
    reply = sent[-1]
    assert reply["To"] == owner.contact_email
    assert reply["Subject"].endswith(f"[{ticket.code}] Re: {ticket.subject}")
    assert reply["In-Reply-To"] == ticket.thread_id()
    assert reply["References"] == ticket.thread_id()
    assert "Abbiamo riavviato il servizio." in reply.get_body(("plain",)).get_content()
    ticket.refresh_from_db()
    assert ticket.first_responded_at == FRIDAY_5PM and ticket.assignee == agent


def test_new_ticket_alerts_the_department(owner, agent, deliver_outbox):
    make_ticket(owner)
    sent = deliver_outbox(2)
    assert {m["To"] for m in sent} == {owner.contact_email, agent.email}


def test_the_alert_reaches_each_agent_in_their_own_language(owner, agent, deliver_outbox):
    helpdesk = agent.departments.get()
    second = make_staff(departments=[helpdesk], email="dario@sportello.example")
    spanish = make_staff(departments=[helpdesk], email="elena@sportello.example")
    spanish.language = "es"
    spanish.save()
    make_ticket(owner)
    sent = {m["To"]: m for m in deliver_outbox(4)}
    assert "Nuovo ticket" in sent[agent.email]["Subject"]
    assert sent[second.email]["Subject"] == sent[agent.email]["Subject"]
    assert "Nuevo ticket" in sent[spanish.email]["Subject"]


def test_internal_notes_are_not_mailed_nor_shown_to_the_client(
    owner, agent, deliver_outbox, client
):
    ticket = make_ticket(owner)
    deliver_outbox(2)
    actions.add_note(ticket, agent, "Cliente già sentito al telefono", FRIDAY_5PM)
    assert ticket.messages.filter(kind=Message.Kind.NOTE).count() == 1
    client.force_login(owner.owner)
    page = client.get(f"/panel/tickets/{ticket.code}/").content.decode()
    assert "telefono" not in page
    from sportello.mail.models import OutboundEmail

    assert OutboundEmail.objects.count() == 2


def test_waiting_ticket_closes_after_24_hours_with_a_notice(owner, agent, deliver_outbox):
    ticket = make_ticket(owner, now=FRIDAY_5PM)
    actions.reply_as_staff(ticket, agent, "Ci mandi il log?", FRIDAY_5PM, then="waiting")
    deliver_outbox(3)
    with time_machine.travel(FRIDAY_5PM + timedelta(hours=23)):
        run_day(FRIDAY_5PM + timedelta(hours=23))
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    later = FRIDAY_5PM + timedelta(hours=24, minutes=1)
    for _twice in range(2):
        run_day(later)
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.closed_at == later
    sent = deliver_outbox(4)
    notices = [
        m for m in sent if "nessuna risposta è arrivata" in m.get_body(("plain",)).get_content()
    ]
    assert len(notices) == 1 and notices[0]["To"] == owner.contact_email


def test_client_answer_stops_the_auto_close(owner, agent):
    ticket = make_ticket(owner, now=FRIDAY_5PM)
    actions.reply_as_staff(ticket, agent, "Ci mandi il log?", FRIDAY_5PM, then="waiting")
    actions.reply_as_client(ticket, owner.owner, "Eccolo", FRIDAY_5PM + timedelta(hours=2))
    run_day(FRIDAY_5PM + timedelta(days=2))
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_client_reopens_by_answering_within_the_window(owner, agent):
    ticket = make_ticket(owner, now=FRIDAY_5PM)
    actions.reply_as_staff(ticket, agent, "Risolto.", FRIDAY_5PM, then="closed")
    actions.reply_as_client(ticket, owner.owner, "Di nuovo lento", FRIDAY_5PM + timedelta(days=6))
    ticket.refresh_from_db()
    assert ticket.status == "open"
    actions.reply_as_staff(ticket, agent, "Risolto davvero.", FRIDAY_5PM, then="closed")
    with pytest.raises(ValidationError, match="aprine uno nuovo"):
        actions.reply_as_client(ticket, owner.owner, "Ancora", FRIDAY_5PM + timedelta(days=8))


def test_merge_moves_messages_and_attachments_and_tells_the_client(owner, agent, deliver_outbox):
    first = make_ticket(owner, subject="Posta non arriva su olga.it", now=FRIDAY_5PM)
    upload = SimpleUploadedFile("errore.png", b"\x89PNG....", content_type="image/png")
    duplicate = make_ticket(
        owner, subject="Email ferma su olga.it", attachments=[upload], now=FRIDAY_5PM
    )
    deliver_outbox(4)
    actions.merge(duplicate, first, agent, FRIDAY_5PM + timedelta(hours=1))
    duplicate.refresh_from_db()
    assert duplicate.status == "merged" and duplicate.merged_into == first
    assert first.messages.filter(kind="client").count() == 2
    assert first.messages.filter(attachments__filename="errore.png").exists()
    sent = deliver_outbox(5)
    assert first.code in sent[-1].get_body(("plain",)).get_content()
    with pytest.raises(ValidationError):
        actions.reply_as_client(duplicate, owner.owner, "ciao", FRIDAY_5PM)


def test_merge_only_between_tickets_of_one_client(owner, other_client, agent):
    with pytest.raises(ValidationError):
        actions.merge(make_ticket(owner), make_ticket(other_client), agent, FRIDAY_5PM)


def test_move_to_another_department_with_a_note(owner, agent):
    ticket = make_ticket(owner, "dns")
    actions.assign(ticket, agent, agent, FRIDAY_5PM)
    actions.move(ticket, agent, Category.objects.get(code="administrative"), "È una fattura",
                 FRIDAY_5PM)  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.department.code == "sales"
    assert ticket.assignee is None  # the agent is not in Sales & Marketing
    assert ticket.messages.filter(kind="note", body="È una fattura").exists()
    with pytest.raises(ValidationError):
        actions.move(ticket, agent, Category.objects.get(code="dns"), " ", FRIDAY_5PM)


def test_held_request_is_confirmed_from_the_panel(owner, agent, deliver_outbox):
    ticket = make_ticket(owner, now=FRIDAY_5PM)
    held = actions.hold_request(ticket, agent, "Cambio password FTP di olga.it", FRIDAY_5PM)
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    actions.decide_held_request(held, owner.owner, True, FRIDAY_5PM + timedelta(hours=1))
    held.refresh_from_db()
    assert held.status == "confirmed"
    assert ticket.messages.filter(event="request_confirmed").exists()
    with pytest.raises(ValidationError):
        actions.decide_held_request(held, owner.owner, False, FRIDAY_5PM)


def test_attachment_limits(owner, settings):
    from sportello.helpdesk.models import HelpdeskSettings

    config = HelpdeskSettings.current()
    config.attachment_max_mb = 1
    config.save()
    big = SimpleUploadedFile("dump.zip", b"x" * (1024 * 1024 + 1))
    with pytest.raises(ValidationError, match="supera 1 MB"):
        make_ticket(owner, attachments=[big])
    script = SimpleUploadedFile("page.html", b"<script>alert(1)</script>")
    with pytest.raises(ValidationError, match="non è accettato"):
        make_ticket(owner, attachments=[script])
    assert not Ticket.objects.exists()


def test_email_problem_ticket_keeps_the_structured_answers(owner, client):
    client.force_login(owner.owner)
    service = make_service(owner, name="olga.it")
    category = Category.objects.get(code="email")
    data = {
        "category": category.pk, "service": service.pk, "priority": "normal",
        "subject": "Mail a info@olga.it rimbalza", "description": "Da ieri",
    }  # fmt: skip
    page = client.post("/panel/tickets/new/", data)
    assert page.status_code == 200
    assert "Questa informazione è necessaria per questo tipo di richiesta" in page.content.decode()
    data.update(mailboxes="info@olga.it", direction="receiving", where="both",
                error_type="mailbox full", samples="da mario@x.it, ieri 10:12")  # fmt: skip
    response = client.post("/panel/tickets/new/", data)
    ticket = Ticket.objects.get()
    assert response.url == f"/panel/tickets/{ticket.code}/"
    assert ticket.details["mailboxes"] == "info@olga.it"
    assert ticket.details["direction"] == "ricezione"


def test_links_in_answers_are_clickable_and_html_is_not(owner, agent, client):
    ticket = make_ticket(owner)
    actions.reply_as_staff(
        ticket, agent, "Leggi [la guida](https://hosting.example/kb/posta/) <b>ora</b>", FRIDAY_5PM
    )
    client.force_login(owner.owner)
    page = client.get(f"/panel/tickets/{ticket.code}/").content.decode()
    assert '<a href="https://hosting.example/kb/posta/" rel="nofollow">la guida</a>' in page
    assert "&lt;b&gt;ora&lt;/b&gt;" in page
