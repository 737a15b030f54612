"""The ticket page for a working day: canned replies filled for the ticket, drafts kept
per agent, confirmations before what cannot be undone, live updates."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.helpdesk import actions
from sportello.helpdesk.models import CannedReply, Category, ReplyDraft, Ticket
from sportello.testing import make_client, make_department, make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def helpdesk():
    return Category.objects.get(code="hosting").department


@pytest.fixture
def agent(helpdesk):
    return make_staff(departments=[helpdesk], email="colleague@sportello.example")


def test_canned_replies_are_filled_for_the_ticket_and_personal_ones_stay_personal(
    client, owner, helpdesk, agent
):
    colleague = make_staff(departments=[helpdesk], email="dario@sportello.example")
    ticket = make_ticket(owner)
    CannedReply.objects.create(
        title="Saluto", language="it", body="Gentile {client}, per il ticket {code}: {agent}."
    )
    CannedReply.objects.create(title="Mia", language="it", body="Personale", owner=colleague)
    CannedReply.objects.create(title="English", language="en", body="Hello {client}")
    agent.first_name, agent.last_name = "Carla", "Rossi"
    agent.save()
    client.force_login(agent)
    page = client.get(reverse("desk:ticket", args=[ticket.code]))
    titles = [reply.title for reply, _text in page.context["canned"]]
    assert "Saluto" in titles
    assert "Mia" not in titles and "English" not in titles  # another's; another language
    filled = f"Gentile Olga Owner, per il ticket {ticket.code}: Carla Rossi."
    assert dict((r.title, text) for r, text in page.context["canned"])["Saluto"] == filled
    assert f'data-text="{filled}"' in page.content.decode()
    # Without scripts: the page again with the reply box filled.
    saluto = CannedReply.objects.get(title="Saluto")
    page = client.get(reverse("desk:ticket", args=[ticket.code]), {"canned": saluto.pk})
    assert page.context["forms"]["reply"].initial["body"] == filled


def test_drafts_belong_to_their_agent_and_go_when_the_reply_is_sent(client, owner, helpdesk, agent):
    colleague = make_staff(departments=[helpdesk], email="dario@sportello.example")
    ticket = make_ticket(owner)
    url = reverse("desk:ticket_draft", args=[ticket.code])
    client.force_login(agent)
    answer = client.post(url, {"body": "Buongiorno, stiamo verificando"})
    assert answer.status_code == 200 and "saved" in answer.json()
    assert client.get(url).status_code == 405  # saved only by POST
    page = client.get(reverse("desk:ticket", args=[ticket.code]))
    assert page.context["forms"]["reply"].initial["body"] == "Buongiorno, stiamo verificando"
    assert "Buongiorno, stiamo verificando" in page.content.decode()

    client.force_login(colleague)
    page = client.get(reverse("desk:ticket", args=[ticket.code]))
    assert page.context["forms"]["reply"].initial["body"] == ""
    assert "stiamo verificando" not in page.content.decode()
    client.post(url, {"body": "Bozza di Dario"})
    assert ReplyDraft.objects.filter(ticket=ticket).count() == 2

    # Sending the reply clears the sender's draft only.
    client.force_login(agent)
    client.post(
        reverse("desk:ticket", args=[ticket.code]),
        {"action": "reply", "body": "Risolto.", "then": "open"},
    )
    assert list(ReplyDraft.objects.values_list("agent", flat=True)) == [colleague.pk]
    # An emptied box leaves no draft.
    client.force_login(colleague)
    client.post(url, {"body": "  "})
    assert not ReplyDraft.objects.exists()


def test_staff_of_another_department_cannot_write_a_draft(client, owner):
    ticket = make_ticket(owner)
    elsewhere = make_staff(departments=[make_department("sales-x", "Sales X")])
    client.force_login(elsewhere)
    answer = client.post(reverse("desk:ticket_draft", args=[ticket.code]), {"body": "x"})
    assert answer.status_code == 404
    assert not ReplyDraft.objects.exists()


def test_next_and_previous_follow_the_queue_order(client, owner, agent):
    now = timezone.now()
    first, second, third = (make_ticket(owner, subject=f"Problema {n}") for n in range(3))
    for number, ticket in enumerate((first, second, third)):
        Ticket.objects.filter(pk=ticket.pk).update(resolution_due=now + timedelta(hours=number))
    client.force_login(agent)
    answer = client.get(reverse("desk:ticket_next", args=[first.code]))
    assert answer["Location"] == reverse("desk:ticket", args=[second.code])
    answer = client.get(reverse("desk:ticket_previous", args=[third.code]))
    assert answer["Location"] == reverse("desk:ticket", args=[second.code])
    # At either end: back to the queue.
    assert client.get(reverse("desk:ticket_next", args=[third.code]))["Location"] == reverse(
        "desk:tickets"
    )
    assert client.get(reverse("desk:ticket_previous", args=[first.code]))["Location"] == (
        reverse("desk:tickets")
    )
    page = client.get(reverse("desk:ticket", args=[second.code])).content.decode()
    assert 'id="shortcuts"' in page and 'id="assign-me"' in page


def test_merge_and_close_are_asked_once_more_saying_what_will_happen(client, owner, agent):
    first = make_ticket(owner, subject="Posta non arriva")
    second = make_ticket(owner, subject="Email ferma da ieri")
    client.force_login(agent)
    url = reverse("desk:ticket", args=[second.code])

    page = client.post(url, {"action": "merge", "target": first.code})
    assert page.status_code == 200
    assert page.templates[0].name == "helpdesk/desk/ticket_confirm.html"
    text = page.content.decode()
    assert first.code in text and "Posta non arriva" in text
    assert 'name="confirmed" value="1"' in text
    second.refresh_from_db()
    assert second.status != "merged"

    page = client.post(url, {"action": "status", "status": "closed"})
    assert page.status_code == 200 and 'name="status" value="closed"' in page.content.decode()
    second.refresh_from_db()
    assert second.status != "closed"
    answer = client.post(url, {"action": "status", "status": "closed", "confirmed": "1"})
    assert answer.status_code == 302
    second.refresh_from_db()
    assert second.status == "closed"

    # An answer that closes: the text is carried to the confirmation and sent only then.
    url = reverse("desk:ticket", args=[first.code])
    fields = {"action": "reply", "body": "Risolto, chiudo.", "then": "closed"}
    page = client.post(url, fields)
    assert page.status_code == 200 and "Risolto, chiudo." in page.content.decode()
    assert not first.messages.filter(kind="staff").exists()
    assert client.post(url, {**fields, "confirmed": "1"}).status_code == 302
    first.refresh_from_db()
    assert first.status == "closed"
    assert first.messages.filter(kind="staff", body__startswith="Risolto").exists()

    # Merging after confirmation.
    third = make_ticket(owner, subject="Terzo")
    url = reverse("desk:ticket", args=[third.code])
    answer = client.post(url, {"action": "merge", "target": first.code, "confirmed": "1"})
    assert answer["Location"] == reverse("desk:ticket", args=[first.code])


def test_billing_pages_ask_before_approving_a_payment_or_issuing_a_credit_note():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates" / "billing" / "desk"
    reports = (templates / "payment_reports.html").read_text()
    assert 'value="approve" class="primary" data-confirm=' in reports
    invoice = (templates / "invoice_detail.html").read_text()
    assert 'value="credit_note" class="primary" data-confirm=' in invoice


def test_live_updates_give_only_newer_messages_and_only_to_staff_who_see_the_ticket(
    client, owner, agent, django_assert_max_num_queries
):
    ticket = make_ticket(owner)
    seen = ticket.messages.order_by("-pk").first().pk
    actions.reply_as_client(ticket, owner.owner, "Ora funziona a metà.", timezone.now())
    url = reverse("desk:ticket_updates", args=[ticket.code])
    client.force_login(agent)
    client.get(url)
    # session, user, ticket, its newer messages, the provider, who may be assigned
    with django_assert_max_num_queries(6):
        data = client.get(url, {"after": seen}).json()
    assert [m["kind"] for m in data["messages"]] == ["client"]
    assert "Ora funziona a metà." in data["messages"][0]["html"]
    newest = data["messages"][0]["id"]
    assert client.get(url, {"after": newest}).json()["messages"] == []
    # Staff of another department, and clients, do not get it.
    elsewhere = make_staff(departments=[make_department("sales-x", "Sales X")])
    client.force_login(elsewhere)
    assert client.get(url, {"after": 0}).status_code == 404
    client.force_login(owner.owner)
    assert client.get(url, {"after": 0}).status_code in (403, 404)


def test_queue_banner_counts_tickets_changed_since_the_page(client, owner, agent):
    client.force_login(agent)
    page = client.get(reverse("desk:tickets"))
    since = page.context["since"]
    url = reverse("desk:queue_updates")
    assert client.get(url, {"since": since}).json()["count"] == 0
    make_ticket(owner)
    data = client.get(url, {"since": since}).json()
    assert data["count"] == 1 and "1" in data["text"]
    for junk in ("junk", "²", "9" * 30):
        assert client.get(url, {"since": junk}).json()["count"] == 0


def test_each_agent_chooses_email_or_browser_alerts(client, owner, agent):
    from sportello.mail.models import OutboundEmail

    ticket = make_ticket(owner)
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    client.force_login(agent)
    url = reverse("desk:alert_settings")
    assert client.get(url).status_code == 200
    client.post(url, {"ticket_alerts": "browser"})
    agent.refresh_from_db()
    assert agent.ticket_alerts == "browser"
    alerts = reverse("desk:ticket_alerts")
    start = client.get(alerts).json()
    assert start["alerts"] == []
    mails = OutboundEmail.objects.filter(to_address=agent.email, template="ticket_staff")
    before = mails.count()  # the new ticket's, sent when mail was still chosen
    actions.reply_as_client(ticket, owner.owner, "Ancora lento.", timezone.now())
    assert mails.count() == before  # browser only: no mail
    data = client.get(alerts, {"after": start["last"]}).json()
    assert [a["tag"] for a in data["alerts"]] == [ticket.code]
    assert client.get(alerts, {"after": data["last"]}).json()["alerts"] == []
    # Another agent, whose ticket it is not, hears nothing of it.
    colleague = make_staff(departments=[ticket.department], email="dario@sportello.example")
    colleague.ticket_alerts = "both"
    colleague.save()
    client.force_login(colleague)
    assert client.get(alerts, {"after": start["last"]}).json()["alerts"] == []


def test_a_draft_with_a_nul_byte_is_kept_without_it(db):
    ticket = make_ticket(make_client())
    agent = make_staff()
    actions.save_draft(ticket, agent, "Buon\x00giorno", timezone.now())
    assert ReplyDraft.objects.get(ticket=ticket, agent=agent).body == "Buongiorno"


def test_live_updates_bring_the_status_and_assignment_a_colleague_just_changed(
    client, owner, agent
):
    ticket = make_ticket(owner)
    seen = ticket.messages.order_by("-pk").first().pk
    url = reverse("desk:ticket_updates", args=[ticket.code])
    client.force_login(agent)
    assert "badges" not in client.get(url, {"after": seen}).json()  # nothing new, nothing drawn
    colleague = make_staff(departments=[ticket.department])
    actions.assign(ticket, colleague, colleague, timezone.now())
    actions.set_status(ticket, colleague, "waiting", timezone.now())
    data = client.get(url, {"after": seen}).json()
    assert "ticket-waiting" in data["badges"]
    handle = data["handle"]
    assert 'id="ticket-handle"' in handle and 'name="csrfmiddlewaretoken"' in handle
    assert f'<option value="{colleague.pk}" selected>' in handle
    assert 'value="waiting"' not in handle and 'value="open"' in handle  # "Reopen" now
