"""The staff queue pages by keyset: next and previous follow the queue's order through
every page, with the filters kept, whatever the depth."""

import re
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sportello.helpdesk import desk_views
from sportello.helpdesk.models import Category, Ticket
from sportello.testing import make_staff, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(owner, monkeypatch):
    monkeypatch.setattr(desk_views, "PAGE", 3)
    tickets = [make_ticket(owner, subject=f"Sito {n} lento") for n in range(8)]
    now = timezone.now()
    # Two share a solution time: the id settles their order.
    for n, ticket in enumerate(tickets):
        Ticket.objects.filter(pk=ticket.pk).update(
            resolution_due=now + timedelta(hours=min(n, 6)),
            last_activity_at=now - timedelta(hours=min(n, 6)),
            priority="low" if n % 2 else "normal",
        )
    return tickets


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="(\?[^"]*)" rel="{rel}"', html)
    return found[1].replace("&amp;", "&") if found else None


def walk(client, url: str) -> tuple[list[list[str]], str]:
    pages = []
    while url:
        page = client.get(url)
        assert page.status_code == 200
        pages.append([t.code for t in page.context["tickets"]])
        following = link(page.content.decode(), "next")
        url = reverse("desk:tickets") + following if following else ""
        last = page
    return pages, last.content.decode()


@pytest.mark.parametrize("status", ["open", "closed"])
def test_next_and_previous_walk_the_whole_queue_in_order(client, queue, status):
    if status == "closed":
        Ticket.objects.update(status="closed")
    client.force_login(make_staff(departments=[Category.objects.get(code="hosting").department]))
    order = ("-last_activity_at", "-id") if status == "closed" else ("resolution_due", "id")
    expected = list(Ticket.objects.order_by(*order).values_list("code", flat=True))
    pages, last_html = walk(client, reverse("desk:tickets") + f"?status={status}")
    assert [len(p) for p in pages] == [3, 3, 2]
    assert sum(pages, []) == expected
    # Back from the last page, page by page.
    back, html = [], last_html
    while previous := link(html, "prev"):
        page = client.get(reverse("desk:tickets") + previous)
        back.append([t.code for t in page.context["tickets"]])
        html = page.content.decode()
    assert back == [pages[1], pages[0]]
    assert link(html, "prev") is None


def test_filters_are_kept_across_pages_and_junk_cursors_show_the_first(client, queue):
    client.force_login(make_staff(departments=[Category.objects.get(code="hosting").department]))
    pages, _html = walk(client, reverse("desk:tickets") + "?priority=low")
    low = list(Ticket.objects.filter(priority="low").order_by("resolution_due", "id")
               .values_list("code", flat=True))  # fmt: skip
    assert sum(pages, []) == low
    for junk in ("x", "1.", ".5", "99999999999999999999999.1", "-5.-5", "1.2.3"):
        page = client.get(reverse("desk:tickets"), {"after": junk, "before": junk})
        assert page.status_code == 200
        assert len(page.context["tickets"]) == 3


def test_a_row_writes_its_dates_short_with_the_year_only_when_another(client, owner):
    """A queue row has four dates: short ones keep the table inside a 1280 px screen."""
    ticket = make_ticket(owner, subject="Sito lento")
    this_year = timezone.localtime().year
    local = timezone.get_current_timezone()
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=datetime(this_year - 1, 12, 1, 9, 0, tzinfo=local),
        resolution_due=datetime(this_year, 3, 8, 17, 30, tzinfo=local),
        last_activity_at=datetime(this_year, 3, 1, 9, 5, tzinfo=local),
    )
    client.force_login(make_staff(departments=[Category.objects.get(code="hosting").department]))
    row = re.search(r'<tr id="row-.*?</tr>', client.get(reverse("desk:tickets")).content.decode(),
                    re.S)[0]  # fmt: skip
    assert "1\xa0mar,\xa009:05" in row  # no-break spaces: a date is never cut in two
    row = row.replace("\xa0", " ")
    assert re.search(
        r'"Soluzione entro">(<span class="badge late">in ritardo</span> )?8 mar, 17:30<', row
    )
    assert ">1 mar, 09:05<br>" in row
    assert f"aperto l'1 dic {this_year - 1}" in row
