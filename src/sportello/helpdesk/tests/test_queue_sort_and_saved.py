"""The queue sorts by its columns and pages through every order by keyset without losing
or repeating a ticket; agents save filters for themselves."""

import re
from datetime import timedelta

import pytest
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils import timezone

from sportello.helpdesk import desk_views
from sportello.helpdesk.models import Department, SavedFilter, Ticket
from sportello.testing import make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    staff = make_staff(departments=[Department.objects.get(code="helpdesk")])
    client.force_login(staff)
    return staff


@pytest.fixture
def queue(owner, monkeypatch):
    monkeypatch.setattr(desk_views, "PAGE", 3)
    now = timezone.now()
    tickets = [make_ticket(owner, subject=f"Sito {n} lento") for n in range(8)]
    for n, ticket in enumerate(tickets):
        # Ties on every column, so the id has to settle them.
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=now - timedelta(hours=n // 2),
            last_activity_at=now - timedelta(minutes=(n * 7) % 5),
            first_response_due=now + timedelta(hours=(n * 3) % 4),
            resolution_due=now + timedelta(hours=n % 3),
            priority=("low", "normal", "high")[n % 3],
        )
    return tickets


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="(\?[^"]*)" rel="{rel}"', html)
    return found[1].replace("&amp;", "&") if found else None


def walk(client, query: str) -> tuple[list[str], str]:
    codes, url = [], reverse("desk:tickets") + query
    while url:
        page = client.get(url)
        assert page.status_code == 200
        codes += [t.code for t in page.context["tickets"]]
        html = page.content.decode()
        following = link(html, "next")
        url = reverse("desk:tickets") + following if following else ""
    return codes, html


RANK = Case(When(priority="high", then=Value(3)), When(priority="normal", then=Value(2)),
            default=Value(1), output_field=IntegerField())  # fmt: skip
ORDERS = {
    "due": ("resolution_due", "id"),
    "-due": ("-resolution_due", "-id"),
    "first_due": ("first_response_due", "id"),
    "activity": ("-last_activity_at", "-id"),
    "-activity": ("last_activity_at", "id"),
    "created": ("-created_at", "-id"),
    "-created": ("created_at", "id"),
    "priority": ("-rank", "-id"),
    "-priority": ("rank", "id"),
}


@pytest.mark.parametrize("sort", ORDERS)
def test_each_order_pages_forwards_and_back_without_gaps_or_repeats(client, agent, queue, sort):
    expected = list(
        Ticket.objects.annotate(rank=RANK).order_by(*ORDERS[sort]).values_list("code", flat=True)
    )
    codes, html = walk(client, f"?sort={sort}")
    assert codes == expected
    back = []
    while previous := link(html, "prev"):
        page = client.get(reverse("desk:tickets") + previous)
        back = [t.code for t in page.context["tickets"]] + back
        html = page.content.decode()
    assert back == expected[:6]  # every page before the last, in order


def test_column_headers_sort_and_turn_round(client, agent, queue):
    html = client.get(reverse("desk:tickets"), {"sort": "priority", "due": ""}).content.decode()
    assert 'aria-sort="descending"' in html
    assert 'href="?due=&amp;sort=-priority"' in html  # clicking again turns it round
    assert 'href="?due=&amp;sort=created"' in html
    junk = client.get(reverse("desk:tickets"), {"sort": "--x", "after": "5.5"})
    assert junk.status_code == 200 and junk.context["sort"] == "due"


def test_saved_filters_are_the_agents_own(client, agent, queue):
    response = client.post(
        reverse("desk:queue_filter_save"),
        {"name": "  Urgenti\nmie ", "priority": "high", "sort": "-created", "after": "1.1",
         "assignee": "me", "evil": "x"},
    )  # fmt: skip
    saved = SavedFilter.objects.get(user=agent)
    assert saved.name == "Urgenti mie"
    assert saved.query == "priority=high&assignee=me&sort=-created"
    assert response["Location"] == "/desk/tickets/?" + saved.query
    page = client.get(reverse("desk:tickets"))
    assert [f.name for f in page.context["saved_filters"]] == ["Urgenti mie"]
    assert 'href="?priority=high&amp;assignee=me&amp;sort=-created"' in page.content.decode()

    colleague = make_staff(departments=[Department.objects.get(code="helpdesk")])
    client.force_login(colleague)
    assert list(client.get(reverse("desk:tickets")).context["saved_filters"]) == []
    # Nor can they delete it.
    response = client.post(reverse("desk:queue_filter_delete", args=[saved.pk]))
    assert response.status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    # Without a name nothing is saved, and the queue stays as it was.
    response = client.post(reverse("desk:queue_filter_save"), {"name": " ", "due": "late"})
    assert response["Location"] == "/desk/tickets/?due=late"
    assert not SavedFilter.objects.filter(user=colleague).exists()

    client.force_login(agent)
    client.post(reverse("desk:queue_filter_delete", args=[saved.pk]))
    assert not SavedFilter.objects.exists()


@pytest.mark.parametrize("sort", ["due", "priority", "-created"])
def test_queue_queries_do_not_grow_with_the_tickets(client, agent, owner, queue, sort):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("desk:tickets") + f"?sort={sort}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(6):
        make_ticket(owner, subject=f"Altro {n} problema")
    with CaptureQueriesContext(connection) as more:
        client.get(url)
    assert len(more) == len(few) <= 12, "\n".join(q["sql"][:120] for q in more.captured_queries)
