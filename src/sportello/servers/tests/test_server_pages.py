"""The migration and server pages of the client area and of the staff desk: reached through
the owner's querysets, thin over the actions, errors in the user's language."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from sportello.servers import actions
from sportello.servers.models import Migration
from sportello.testing import make_department, make_staff

from .conftest import mails, make_server

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
DAY_X = datetime(2026, 3, 2, 9, 0, tzinfo=ROME)


@pytest.fixture
def migration(owner):
    server = make_server(owner, "basic")
    with time_machine.travel(DAY_X, tick=False):
        return actions.open_migration(
            server,
            datetime(2026, 3, 24, 10, 0, tzinfo=ROME),
            timezone.now(),
            reason="Hardware at end of life",
        )


@time_machine.travel(datetime(2026, 3, 5, 11, 0, tzinfo=ROME), tick=False)
def test_the_client_sees_the_timeline_and_sends_the_wishes(client, owner, migration):
    client.force_login(owner.owner)
    url = reverse("servers:migration", args=[migration.server_id])
    service_page = client.get(
        reverse("portal:service", args=[migration.server_id])
    ).content.decode()
    assert url in service_page
    page = client.get(url).content.decode()
    assert page.count('class="step ') == 7 and "Hardware at end of life" in page
    assert "backup-advice" in page
    response = client.post(url, {"action": "wishes", "os_version": "", "libraries": "PHP"})
    assert (
        response.status_code == 200 and "Questo campo è obbligatorio" in response.content.decode()
    )
    wishes = {"os_version": "Debian 12", "libraries": "PHP 8.3", "control_panel": "Plesk"}
    response = client.post(url, {"action": "wishes", **wishes, "wishes_notes": ""})
    assert response.status_code == 302
    migration.refresh_from_db()
    assert (
        migration.state == Migration.State.WISHES_RECEIVED and migration.os_version == "Debian 12"
    )
    page = client.get(url).content.decode()
    assert 'data-step="wishes"' in page and "step-done" in page


@time_machine.travel(datetime(2026, 3, 19, 12, 0, tzinfo=ROME), tick=False)
def test_the_client_moves_the_switch_and_is_told_why_not_in_italian(client, owner, migration):
    client.force_login(owner.owner)
    url = reverse("servers:migration", args=[migration.server_id])
    page = client.post(url, {"action": "book", "day": "2026-03-21", "at": "10:00"}).content.decode()
    assert "non è un giorno lavorativo" in page
    response = client.post(url, {"action": "book", "day": "2026-03-23", "at": "11:00"})
    assert response.status_code == 302
    migration.refresh_from_db()
    assert timezone.localtime(migration.switch_at).hour == 11
    assert mails("migration_switch_booked")


def test_other_clients_and_staff_see_nothing_of_it_in_the_panel(client, other_client, migration):
    url = reverse("servers:migration", args=[migration.server_id])
    client.force_login(other_client.owner)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "switched", "confirm": "1"}).status_code == 404
    client.force_login(make_staff())
    assert client.get(url).status_code == 404


@time_machine.travel(DAY_X, tick=False)
def test_staff_announce_a_migration_from_the_server_page(client, owner):
    server = make_server(owner, "global")
    agent = make_staff(departments=[make_department()])  # the Helpdesk runs migrations
    client.force_login(agent)
    desk_client = client.get(reverse("desk:client", args=[owner.pk])).content.decode()
    url = reverse("servers_desk:server", args=[server.pk])
    assert url in desk_client
    response = client.post(url, {"action": "open", "day": "2026-03-10", "at": "10:00"})
    assert "almeno 15 giorni" in response.content.decode()
    assert not Migration.objects.exists()
    response = client.post(
        url, {"action": "open", "day": "2026-03-20", "at": "10:00", "reason": ""}
    )
    assert response.status_code == 302
    migration = Migration.objects.get()
    assert migration.opened_by == agent and mails("migration_planned")
    response = client.post(
        url, {"action": "new_server", "name": "srv1-new", "temporary_ip": "192.0.2.10"}
    )
    assert "deve essere diverso" in response.content.decode()
    client.post(url, {"action": "new_server", "name": "srv1-new", "temporary_ip": "198.51.100.7"})
    client.post(url, {"action": "switched", "confirm": "1"})
    migration.refresh_from_db()
    assert migration.state == Migration.State.SWITCHED and migration.switched_by == agent
    overview = client.get(reverse("servers_desk:home")).content.decode()
    assert server.name in overview


def test_clients_cannot_open_the_desk_server_pages(client, owner):
    server = make_server(owner)
    client.force_login(owner.owner)
    assert client.get(reverse("servers_desk:server", args=[server.pk])).status_code == 403
    assert client.get(reverse("servers_desk:home")).status_code == 403
