"""No page answers 500 to what a visitor can type: every pattern of the resolver is walked
with junk in each query parameter its view reads (found by watching the view read them),
in each form field of its POST, and with path arguments that name nothing."""

import pytest
from django import http
from django.core.handlers import wsgi
from django.http import QueryDict
from django.http import request as http_request
from django.urls import reverse

from sportello.servers.models import Monitor

from .pages import HUGE_ID, NOWHERE, World, site_pages

pytestmark = pytest.mark.django_db

JUNK = [
    "abc",
    "99999999999999999999999999",
    "-1",
    "[",
    "",
    "ü€",
    "²",  # a digit to str.isdigit(), not to int()
    "١٢",  # Arabic-Indic digits: int() takes them
    "1e400",
    "a\x00b",
    "x" * 5000,
]
FIELD_JUNK = ["abc", "99999999999999999999999999", "²", ""]
# Values some views compare "action" or "decision" with before they read the other fields.
ACTIONS = [
    "add", "pause", "resume", "remove", "open", "new_server", "book", "switched", "wishes",
    "cancel", "renew", "upgrade", "reply", "note", "status", "assign", "move", "merge", "hold",
    "payment", "credit_note", "send", "deliver", "approve", "reject", "confirm", "preview",
    "publish", "withdraw", "save", "delete",
    "build", "resend", "correct", "receipt",
]  # fmt: skip
READ: set[str] = set()


class WatchedQueryDict(QueryDict):
    """A QueryDict that notes each key a view asks for."""

    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)

    def get(self, key, default=None):
        READ.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        READ.add(key)
        return super().getlist(key, default)


class WatchedGET(WatchedQueryDict):
    pass


class WatchedPOST(WatchedQueryDict):
    pass


@pytest.fixture
def watch_get(monkeypatch):
    monkeypatch.setattr(wsgi, "QueryDict", WatchedGET)


@pytest.fixture
def watch_post(monkeypatch):
    monkeypatch.setattr(http_request, "QueryDict", WatchedPOST)  # urlencoded forms
    monkeypatch.setattr(http, "QueryDict", WatchedPOST)  # multipart ones, read at each parse


@pytest.fixture
def world(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return World()


def persona_for(page, world):
    return {"panel": world.client_a.owner, "desk": world.admin}.get(page.area)


def sign_in(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)


def request(client, method, url, data, failures, label):
    """One request; a server error (raised by the test client) is noted, not raised, so
    one run names every page that fails."""
    label = label if len(label) < 80 else label[:60] + "…"
    try:
        if method == "get":
            response = client.get(url, data)
        else:
            response = client.post(url, data)
    except Exception as error:  # noqa: BLE001 (the test reports every failure at the end)
        failures.append(f"{method.upper()} {url} {label}: {type(error).__name__}: {error!s:.200}")
        return None
    if response.status_code >= 500:
        failures.append(f"{method.upper()} {url} {label}: {response.status_code}")
    return response


def keys_read(client, method, url, seed: dict, failures) -> set[str]:
    """The parameters the view reads, asking again with each new one filled in until no
    new one is read (a form bound only when some key is present reads the others then)."""
    known: set[str] = set()
    while True:
        READ.clear()
        request(client, method, url, {**{k: "1" for k in known}, **seed}, failures, "(probe)")
        new = READ - known - set(seed)
        if not new:
            return known
        known |= new


# Pages whose path names the action: each one reads its own fields.
PATH_ACTIONS = ["take", "estimate", "log", "delete", "not_possible"]


def urls_of(page, world) -> list[str]:
    """The page with the world's objects, and with arguments naming nothing."""
    if not page.name:
        return ["/" + page.route] if not page.arguments else []
    if not page.arguments:
        return [reverse(page.name)]
    real = world.path_arguments()[page.name]
    variants = [real]
    if "action" in page.arguments:
        variants = [{**real, "action": action} for action in PATH_ACTIONS]
    nowhere = {name: NOWHERE[name] for name in page.arguments}
    return [reverse(page.name, kwargs=arguments) for arguments in [*variants, nowhere]]


def test_every_page_names_its_path_arguments(world):
    missing = [
        page.name
        for page in site_pages()
        if page.arguments and page.name not in world.path_arguments()
    ]
    assert not missing, f"say which object these pages show, in pages.World: {missing}"


def test_no_page_answers_500_to_junk_in_its_query_parameters(client, world, watch_get):
    failures = []
    for page in site_pages():
        if page.post_only:
            continue
        user = persona_for(page, world)
        for url in urls_of(page, world):
            sign_in(client, user)
            keys = keys_read(client, "get", url, {}, failures)
            for junk in JUNK:
                request(client, "get", url, dict.fromkeys(keys, junk), failures, f"all={junk!r}")
                for key in keys:
                    request(client, "get", url, {key: junk}, failures, f"{key}={junk!r}")
    assert not failures, "\n".join(failures)


def test_no_page_answers_500_to_junk_in_its_form_fields(client, world, watch_post):
    failures = []
    for page in site_pages():
        user = persona_for(page, world)
        for url in urls_of(page, world):
            sign_in(client, user)
            READ.clear()
            request(client, "post", url, {}, failures, "(probe)")
            seeds = [{}]
            for switch in {"action", "decision"} & READ:
                seeds += [{switch: value} for value in ACTIONS]
            for seed in seeds:
                sign_in(client, user)
                keys = keys_read(client, "post", url, seed, failures)
                if not keys and seed:
                    continue  # an action this view does not have, or one without fields
                for junk in FIELD_JUNK if seed else JUNK:
                    data = {**dict.fromkeys(keys, junk), **seed}
                    request(client, "post", url, data, failures, f"{seed} all={junk!r}")
                # One field alone too: a field present may hide what another one does.
                for key in keys:
                    for junk in FIELD_JUNK:
                        data = {key: junk, **seed}
                        request(client, "post", url, data, failures, f"{seed} {key}={junk!r}")
    assert not failures, "\n".join(failures)


def test_no_page_answers_500_to_an_id_larger_than_the_database_stores(client, world):
    failures = []
    for page in site_pages():
        if "pk" not in page.arguments:
            continue
        sign_in(client, persona_for(page, world))
        arguments = {**world.path_arguments()[page.name], "pk": HUGE_ID}
        url = reverse(page.name, kwargs=arguments)
        response = request(client, "post" if page.post_only else "get", url, {}, failures, "")
        if response is not None and response.status_code != 404:
            failures.append(f"{url}: {response.status_code}, not 404")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("monitor", ["abc", "", "[", "99999999999999999999999999", "²"])
@pytest.mark.parametrize("action", ["pause", "resume", "remove"])
def test_a_check_that_is_not_a_number_is_ignored(client, world, monitor, action):
    client.force_login(world.client_a.owner)
    url = reverse("servers:monitoring", args=[world.server.pk])
    response = client.post(url, {"action": action, "monitor": monitor})
    assert response.status_code == 200
    assert Monitor.objects.get(pk=world.monitor.pk).state == world.monitor.state


@pytest.mark.parametrize(
    "address", ["http://[::1", "http://[192.0.2.10]/", "http://192.0.2.10:99999/", "http://a:b/"]
)
def test_a_malformed_monitoring_address_is_a_form_error(client, world, address):
    client.force_login(world.client_a.owner)
    url = reverse("servers:monitoring", args=[world.server.pk])
    data = {"action": "add", "kind": "http", "url": address, "expected_status": 200,
            "interval_minutes": 5}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Monitor.objects.filter(kind="http").exists()
