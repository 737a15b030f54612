"""Who runs a planned migration from the desk: administrators and the agents who look after
servers (the department server alerts go to, Helpdesk by default). Billing clerks and
agents of other departments see the migration but cannot open it or move it on."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from sportello.accounts.models import User
from sportello.servers import actions
from sportello.servers.models import Migration, ServerSettings
from sportello.testing import make_department, make_staff

from .conftest import make_server

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
DAY_X = datetime(2026, 3, 2, 9, 0, tzinfo=ROME)
OPEN = {"action": "open", "day": "2026-03-20", "at": "10:00", "reason": ""}
STEPS = [
    {"action": "new_server", "name": "srv1-new", "temporary_ip": "198.51.100.7"},
    {"action": "book", "day": "2026-03-23", "at": "11:00"},
    {"action": "switched", "confirm": "1"},
]


def sales_agent():
    return make_staff(departments=[make_department("sales", "Sales")])


def helpdesk_agent():
    return make_staff(departments=[make_department()])


WITHOUT_THE_RIGHT = {
    "billing clerk": lambda: make_staff(User.Role.BILLING),
    "sales agent": sales_agent,
    "agent of no department": lambda: make_staff(),
}
WITH_THE_RIGHT = {
    "administrator": lambda: make_staff(User.Role.ADMIN),
    "helpdesk agent": helpdesk_agent,
}


@pytest.fixture
def server(owner):
    return make_server(owner, "global")


@pytest.fixture
def migration(server):
    with time_machine.travel(DAY_X, tick=False):
        return actions.open_migration(server, datetime(2026, 3, 20, 10, 0, tzinfo=ROME), DAY_X)


@time_machine.travel(DAY_X, tick=False)
@pytest.mark.parametrize("who", WITHOUT_THE_RIGHT)
def test_billing_clerks_and_other_agents_cannot_open_a_migration(client, server, who):
    client.force_login(WITHOUT_THE_RIGHT[who]())
    url = reverse("servers_desk:server", args=[server.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="open"' not in page.content.decode()
    assert client.post(url, OPEN).status_code == 403
    assert not Migration.objects.exists()


@time_machine.travel(datetime(2026, 3, 19, 12, 0, tzinfo=ROME), tick=False)
@pytest.mark.parametrize("who", WITHOUT_THE_RIGHT)
def test_billing_clerks_and_other_agents_cannot_move_a_migration_on(client, migration, who):
    client.force_login(WITHOUT_THE_RIGHT[who]())
    url = reverse("servers_desk:server", args=[migration.server_id])
    page = client.get(url).content.decode()
    assert 'value="new_server"' not in page and 'value="book"' not in page
    for step in STEPS:
        assert client.post(url, step).status_code == 403, step["action"]
    migration.refresh_from_db()
    assert migration.state == Migration.State.ANNOUNCED and not migration.new_server_name


@time_machine.travel(DAY_X, tick=False)
@pytest.mark.parametrize("who", WITH_THE_RIGHT)
def test_administrators_and_helpdesk_agents_open_a_migration(client, server, who):
    client.force_login(WITH_THE_RIGHT[who]())
    url = reverse("servers_desk:server", args=[server.pk])
    assert 'value="open"' in client.get(url).content.decode()
    assert client.post(url, OPEN).status_code == 302
    assert Migration.objects.get().server == server


@time_machine.travel(DAY_X, tick=False)
def test_the_right_follows_the_department_server_alerts_go_to(client, server):
    systems = make_department("systems", "Systems")
    settings = ServerSettings.current()
    settings.alert_department = systems
    settings.save()
    url = reverse("servers_desk:server", args=[server.pk])
    client.force_login(helpdesk_agent())
    assert client.post(url, OPEN).status_code == 403
    client.force_login(make_staff(departments=[systems]))
    assert client.post(url, OPEN).status_code == 302


@time_machine.travel(DAY_X, tick=False)
def test_the_action_itself_refuses_staff_without_the_right(server):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.open_migration(
            server, datetime(2026, 3, 20, 10, 0, tzinfo=ROME), timezone.now(),
            actor=make_staff(User.Role.BILLING),
        )  # fmt: skip
    assert not Migration.objects.exists()
