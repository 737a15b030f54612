"""The help desk configured from the desk by administrators: every change audited, the
rules used at once by new tickets and answers."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from sportello.accounts.models import User
from sportello.catalog.models import ProductType
from sportello.core.models import AuditEvent
from sportello.helpdesk import actions
from sportello.helpdesk.forms import TicketForm
from sportello.helpdesk.models import (
    AgentSignature,
    CannedReply,
    Category,
    Department,
    HelpdeskSettings,
    ResponseTarget,
)
from sportello.testing import make_service, make_staff, make_support_plan, make_ticket

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
MONDAY_10AM = datetime(2026, 11, 16, 10, 0, tzinfo=ROME)


@pytest.fixture
def admin_user(db):
    return make_staff(User.Role.ADMIN, email="boss@sportello.example")


def audited():
    return list(
        AuditEvent.objects.filter(action=AuditEvent.Action.DESK_CONFIG_CHANGED).values_list(
            "detail", flat=True
        )
    )


def test_only_administrators_reach_the_configuration(client):
    agent = make_staff(User.Role.AGENT)
    client.force_login(agent)
    assert client.get(reverse("desk:config")).status_code == 403
    assert client.get(reverse("desk:config_list", args=["canned"])).status_code == 403


def test_department_created_with_its_hours_and_audited(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("desk:config_new", args=["departments"]),
        {"name": "Amministrazione", "name_en": "Accounts", "name_es": "Administración",
         "code": "admin-dept", "email": "amm@sportello.example", "opens_at": "08:30",
         "closes_at": "13:00", "position": "3"},
    )  # fmt: skip
    assert response.status_code == 302
    department = Department.objects.get(code="admin-dept")
    assert department.opens_at.hour == 8 and department.closes_at.hour == 13
    assert any("created" in row and "Amministrazione" in row for row in audited())


def test_office_hours_the_wrong_way_round_are_a_form_error(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("desk:config_new", args=["departments"]),
        {"name": "X", "code": "x", "opens_at": "18:00", "closes_at": "09:00", "position": "0"},
    )
    assert response.status_code == 200
    assert (
        "deve chiudere dopo l&#x27;apertura" in response.content.decode()
    )  # the admin reads Italian
    assert not Department.objects.filter(code="x").exists()


def test_a_department_with_categories_is_not_deleted(client, admin_user):
    client.force_login(admin_user)
    department = Category.objects.get(code="hosting").department
    response = client.post(reverse("desk:config_delete", args=["departments", department.pk]))
    assert response.status_code == 302
    assert Department.objects.filter(pk=department.pk).exists()


def test_required_questions_of_a_category_must_be_answered(owner):
    category = Category.objects.get(code="hosting")
    category.questions = "Qual è l'indirizzo del sito?\nDa quando?"
    category.questions_en = "Which site?\nSince when?"
    category.save()
    service = make_service(owner)
    data = {"category": category.pk, "service": service.pk, "priority": "normal",
            "subject": "Il sito olga.it non risponde", "description": "Errore 502."}  # fmt: skip
    form = TicketForm(data, client=owner)
    assert not form.is_valid()
    names = [name for name in form.errors if name.startswith("question_")]
    assert len(names) == 2
    data.update({names[0]: "olga.it", names[1]: "stamattina"})
    form = TicketForm(data, client=owner)
    assert form.is_valid(), form.errors
    assert form.details() == {"Qual è l'indirizzo del sito?": "olga.it", "Da quando?": "stamattina"}


def test_response_target_of_the_clients_plan_comes_first(owner):
    ResponseTarget.objects.update_or_create(
        priority="normal", support_level="", defaults={"first_response_hours": 4,
                                                      "resolution_hours": 24}
    )  # fmt: skip
    ResponseTarget.objects.create(priority="normal", support_level="managed",
                                  first_response_hours=2, resolution_hours=8)  # fmt: skip
    plain = make_ticket(owner, now=MONDAY_10AM)
    assert plain.first_response_due == datetime(2026, 11, 16, 14, 0, tzinfo=ROME)
    make_service(owner, make_support_plan("managed", [(ProductType.DEDICATED, True)]))
    managed = make_ticket(owner, now=MONDAY_10AM)
    assert managed.first_response_due == datetime(2026, 11, 16, 12, 0, tzinfo=ROME)


def test_canned_reply_placeholders_filled_in_the_language(owner):
    agent = make_staff(email="carla@sportello.example")
    agent.first_name, agent.last_name = "Carla", "Neri"
    ticket = make_ticket(owner, subject="Sito lento {code}")
    reply = CannedReply.objects.create(
        title="Saluto", language="it",
        body="Gentile {client}, sul ticket {code} ({subject}) per {department}: {agent}. {unknown}",
    )  # fmt: skip
    text = actions.render_canned(reply, ticket, "en", agent=agent)
    assert text == (
        f"Gentile {owner.display_name}, sul ticket {ticket.code} (Sito lento {{code}}) per "
        f"{ticket.department.name_in('en')}: Carla Neri. {{unknown}}"
    )


def test_personal_canned_replies_are_offered_to_their_owner_only(owner):
    agent, colleague = make_staff(), make_staff()
    ticket = make_ticket(owner)
    mine = CannedReply.objects.create(title="Mine", language="it", body="x", owner=agent)
    shared = CannedReply.objects.create(title="Shared", language="it", body="y")
    assert set(actions.canned_replies_for(ticket, agent, "it")) >= {mine, shared}
    assert mine not in set(actions.canned_replies_for(ticket, colleague, "it"))


def test_canned_reply_created_in_the_desk_is_searchable(client, admin_user):
    client.force_login(admin_user)
    client.post(
        reverse("desk:config_new", args=["canned"]),
        {"title": "Password reset", "language": "en", "body": "Dear {client}, done."},
    )
    assert CannedReply.objects.filter(title="Password reset").exists()
    page = client.get(reverse("desk:config_list", args=["canned"]), {"q": "password"})
    assert "Password reset" in page.content.decode()
    page = client.get(reverse("desk:config_list", args=["canned"]), {"q": "nothing-like-it"})
    assert "Password reset" not in page.content.decode()


def test_signature_ends_the_agents_answers_in_the_clients_language(owner):
    agent = make_staff()
    AgentSignature.objects.create(user=agent, text="Carla, assistenza", text_en="Carla, support")
    ticket = make_ticket(owner)
    message = actions.reply_as_staff(ticket, agent, "Fatto.", MONDAY_10AM)
    assert message.body == "Fatto.\n\n-- \nCarla, assistenza"


def test_settings_saved_with_the_changed_fields_in_the_audit(client, admin_user):
    client.force_login(admin_user)
    form = {
        "generic_subjects": "aiuto\nhelp", "auto_close_hours": "48", "reopen_days": "7",
        "attachment_max_mb": "5", "message_attachments_max_mb": "20",
        "ticket_attachments_max_mb": "50", "attachment_types": ".PDF, png,png",
        "holiday_country": "es",
    }  # fmt: skip
    assert client.post(reverse("desk:config_settings"), form).status_code == 302
    settings = HelpdeskSettings.current()
    assert settings.auto_close_hours == 48
    assert settings.attachment_types == "pdf,png"
    assert settings.holiday_country == "ES"
    assert any("changed" in row and "(MB)" in row for row in audited())


def test_settings_refuse_limits_that_contradict_each_other(client, admin_user):
    client.force_login(admin_user)
    form = {
        "generic_subjects": "", "auto_close_hours": "0", "reopen_days": "7",
        "attachment_max_mb": "50", "message_attachments_max_mb": "20",
        "ticket_attachments_max_mb": "10", "attachment_types": "exe;bat", "holiday_country": "X",
    }  # fmt: skip
    response = client.post(reverse("desk:config_settings"), form)
    assert response.status_code == 200
    assert len(response.context["form"].errors) >= 4
