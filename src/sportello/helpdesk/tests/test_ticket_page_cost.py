"""The ticket pages read a bounded number of rows and queries, whatever the number of
tickets and logins: the assignee list is the department's staff and the administrators."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from sportello.accounts.models import User
from sportello.helpdesk import actions
from sportello.helpdesk.models import Category
from sportello.testing import make_client, make_department, make_staff, make_ticket

pytestmark = pytest.mark.django_db


def test_staff_page_lists_the_departments_staff_in_twelve_queries(client, owner):
    helpdesk = Category.objects.get(code="hosting").department
    agent = make_staff(departments=[helpdesk], email="carla@sportello.example")
    colleague = make_staff(departments=[helpdesk], email="dario@sportello.example")
    elsewhere = make_staff(departments=[make_department("sales-x", "Sales X")])
    admin = make_staff(User.Role.ADMIN, email="boss@sportello.example")
    make_client("someone@example.org")
    ticket = make_ticket(owner)
    actions.reply_as_staff(ticket, agent, "Riavviato.", timezone.now())
    actions.record_presence(ticket, colleague, timezone.now(), replying=True)
    client.force_login(agent)
    url = reverse("desk:ticket", args=[ticket.code])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url)
    assert page.status_code == 200
    assert len(queries) <= 12, "\n".join(q["sql"][:120] for q in queries.captured_queries)
    listed = {person.pk for person in page.context["assignees"]}
    assert listed == {agent.pk, colleague.pk, admin.pk}
    assert elsewhere.pk not in listed
    assert page.context["others"] == [{"name": colleague.get_full_name() or colleague.email,
                                       "replying": True}]  # fmt: skip
    # Staff of another department do not see the ticket.
    client.force_login(elsewhere)
    assert client.get(url).status_code == 404


def test_client_page_in_few_queries(client, owner):
    ticket = make_ticket(owner)
    client.force_login(owner.owner)
    url = reverse("portal:ticket", args=[ticket.code])
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) <= 8
