"""Monitoring of an assigned IP (SRV-11) against real TCP and HTTP servers on loopback,
started and stopped by the tests; alert mails travel over SMTP to the loopback listener."""

import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sportello.servers import actions, monitoring
from sportello.servers.models import CheckResult, Monitor, MonitorDay, MonitorEvent, ServerSettings
from sportello.servers.tasks import dispatch

from .conftest import mails, make_server

pytestmark = pytest.mark.django_db
LOOPBACK = "127.0.0.1"


class TcpServer:
    """A port that accepts connections until stopped; it can start again on the same port."""

    def __init__(self, port: int = 0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            connection.close()

    def stop(self):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(timeout=5)


class HttpServer:
    """An HTTP server answering every GET with `status`, which the test changes."""

    def __init__(self):
        outer = self
        self.status = 200
        self.hosts = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hosts.append(self.headers.get("Host"))
                self.send_response(outer.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tcp():
    server = TcpServer()
    yield server
    try:
        server.stop()
    except OSError:
        pass


@pytest.fixture
def http():
    server = HttpServer()
    yield server
    server.stop()


def check_now() -> dict:
    """Make every active check due and run one batch, as a worker would."""
    Monitor.objects.exclude(state=Monitor.State.PAUSED).update(
        next_check_at=timezone.now() - timedelta(seconds=1)
    )
    return monitoring.run_due_checks(timezone.now())


def watch_tcp(server, port, **options):
    return actions.activate_monitor(
        server, kind=Monitor.Kind.TCP, port=port, now=timezone.now(), **options
    )


def test_a_port_going_down_and_back_mails_the_client_once_each_way(
    owner, tcp, deliver_outbox, inbox, helpdesk_staff
):
    server = make_server(owner, "basic", ip=LOOPBACK)
    monitor = watch_tcp(server, tcp.port)
    assert check_now()["checked"] == 1
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.UP and monitor.last_response_ms is not None

    tcp.stop()
    for _ in range(2):
        check_now()
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.UP and monitor.failures == 2  # not yet: 3 in a row
    assert check_now()["down"] == 1
    check_now()
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN and monitor.last_error == "refused"
    down = deliver_outbox(1)[0]
    assert down["To"] == owner.contact_email and "NON RAGGIUNGIBILE" in down["Subject"]
    assert "rifiutata" in down.get_body(("plain",)).get_content()  # Italian, the client's

    tcp = TcpServer(tcp.port)  # back on the same port
    check_now()
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN  # one good check is not enough
    assert check_now()["up"] == 1
    messages = deliver_outbox(2)
    assert "DI NUOVO RAGGIUNGIBILE" in messages[1]["Subject"]
    # Basic plan: staff are not alerted.
    assert inbox.to(helpdesk_staff.email) == []
    assert [e.state for e in MonitorEvent.objects.order_by("at", "id")] == ["up", "down", "up"]
    tcp.stop()


def test_a_flapping_port_sends_no_storm(owner, tcp):
    server = make_server(owner, "basic", ip=LOOPBACK)
    monitor = watch_tcp(server, tcp.port)
    port = tcp.port
    for _round in range(6):  # good, bad, good, bad…: never three failures in a row
        check_now()
        tcp.stop()
        check_now()
        tcp = TcpServer(port)
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.UP and mails() == []
    # Down once, then flapping while down: it is not "back" until two good checks in a row.
    tcp.stop()
    for _ in range(3):
        check_now()
    for _ in range(4):
        tcp = TcpServer(port)
        check_now()
        tcp.stop()
        check_now()
    assert [e.template for e in mails()] == ["monitor_down"]
    assert CheckResult.objects.filter(monitor=monitor).count() == 12 + 3 + 8


def test_an_http_address_with_the_expected_status(owner, http, deliver_outbox, helpdesk_staff):
    server = make_server(owner, "managed", ip=LOOPBACK)
    monitor = actions.activate_monitor(
        server,
        kind=Monitor.Kind.HTTP,
        url=f"http://www.example.org:{http.port}/health",
        expected_status=200,
        now=timezone.now(),
    )
    check_now()
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.UP
    # The IP is the server's; the site name goes in the Host header.
    assert http.hosts[-1] == f"www.example.org:{http.port}"

    http.status = 503
    for _ in range(3):
        check_now()
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.DOWN and monitor.last_error == "status:503"
    received = deliver_outbox(2)
    # Managed plan: the Helpdesk staff are alerted too, in their language (English).
    to_staff = [m for m in received if m["To"] == helpdesk_staff.email]
    assert len(to_staff) == 1 and "DOWN" in to_staff[0]["Subject"]
    assert "unexpected HTTP status 503" in to_staff[0].get_body(("plain",)).get_content()
    assert not any(m["To"] == "sales@sportello.example" for m in received)


def test_a_silent_server_times_out(owner):
    ServerSettings.objects.update_or_create(pk=1, defaults={"monitor_timeout_seconds": 1})
    silent = socket.socket()
    silent.bind((LOOPBACK, 0))
    silent.listen(8)  # accepts at the TCP level, never answers HTTP
    server = make_server(owner, "basic", ip=LOOPBACK)
    actions.activate_monitor(
        server,
        kind=Monitor.Kind.HTTP,
        url=f"http://{LOOPBACK}:{silent.getsockname()[1]}/",
        expected_status=200,
        now=timezone.now(),
    )
    check_now()
    silent.close()
    result = CheckResult.objects.get()
    assert not result.ok and result.error == "timeout"


def test_two_workers_never_claim_the_same_check_and_a_dead_ones_checks_come_back(owner, tcp):
    server = make_server(owner, "basic", ip=LOOPBACK)
    for _n in range(5):
        watch_tcp(server, tcp.port)
    now = timezone.now()
    Monitor.objects.update(next_check_at=now - timedelta(seconds=5))
    first_claim, first = monitoring.claim_due(now, limit=3)
    second_claim, second = monitoring.claim_due(now, limit=10)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    assert monitoring.claim_due(now)[1] == {}
    # The first worker dies; after the lease its checks are due again.
    later = now + monitoring.LEASE + timedelta(seconds=1)
    assert set(monitoring.claim_due(later)[1]) == set(first) | set(second)


def test_next_slot_keeps_the_rhythm_and_skips_missed_slots():
    from datetime import datetime

    due = timezone.make_aware(datetime(2026, 3, 2, 10, 0))
    assert monitoring.next_slot(due, 5, due + timedelta(seconds=3)) == due + timedelta(minutes=5)
    assert monitoring.next_slot(due, 5, due + timedelta(minutes=12)) == due + timedelta(minutes=15)


def test_dispatch_runs_the_due_checks(owner, tcp):
    server = make_server(owner, "basic", ip=LOOPBACK)
    monitor = watch_tcp(server, tcp.port)
    Monitor.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    assert dispatch(timezone.now()) == 1  # the worker queue runs it (immediately in tests)
    monitor.refresh_from_db()
    assert monitor.state == Monitor.State.UP and monitor.next_check_at > timezone.now()


def test_only_servers_with_a_support_plan_and_only_their_own_ip(owner, other_client):
    bare = make_server(owner, "", ip=LOOPBACK)
    with pytest.raises(ValidationError, match="assistenza|support plan"):
        watch_tcp(bare, 22)
    server = make_server(other_client, "basic", ip="192.0.2.10", name="srv2.example.org")
    for url in ["http://198.51.100.1/", "ftp://192.0.2.10/", "192.0.2.10"]:
        with pytest.raises(ValidationError):
            actions.activate_monitor(
                server, kind="http", url=url, expected_status=200, now=timezone.now()
            )
    with pytest.raises(ValidationError):
        watch_tcp(server, 70000)


def test_history_is_bounded_by_the_daily_job(owner, tcp):
    from io import StringIO

    from django.core.management import call_command

    server = make_server(owner, "basic", ip=LOOPBACK)
    monitor = watch_tcp(server, tcp.port)
    check_now()
    old = timezone.now() - timedelta(days=5)
    CheckResult.objects.create(monitor=monitor, at=old, ok=True, response_ms=3)
    MonitorDay.objects.create(monitor=monitor, day=old.date() - timedelta(days=500), checks=1)
    call_command("runjobs", only=["monitoring_history"], stdout=StringIO())
    assert CheckResult.objects.count() == 1 and MonitorDay.objects.count() == 1


def test_the_panel_shows_state_history_uptime_and_chart(client, owner, other_client, tcp):
    server = make_server(owner, "basic", ip=LOOPBACK)
    client.force_login(owner.owner)
    url = reverse("servers:monitoring", args=[server.pk])
    response = client.post(url, {"action": "add", "kind": "tcp", "port": tcp.port,
                                 "interval_minutes": 5, "expected_status": 200})  # fmt: skip
    assert response.status_code == 302
    monitor = Monitor.objects.get()
    for _ in range(3):
        check_now()
    tcp.stop()
    check_now()
    page = client.get(url).content.decode()
    assert "<svg" in page and "75,00%" in page and monitor.target in page
    assert 'class="badge monitor-up"' in page
    # The service page links here; another client gets nothing.
    assert url in client.get(reverse("portal:service", args=[server.pk])).content.decode()
    client.force_login(other_client.owner)
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "pause", "monitor": monitor.pk}).status_code == 404


def test_bad_input_is_answered_in_the_clients_language(client, owner):
    server = make_server(owner, "basic", ip="192.0.2.10")
    client.force_login(owner.owner)
    url = reverse("servers:monitoring", args=[server.pk])
    page = client.post(url, {"action": "add", "kind": "http", "url": "http://198.51.100.1/",
                             "expected_status": 200, "interval_minutes": 5})  # fmt: skip
    assert "deve puntare all&#x27;IP di questo server, 192.0.2.10" in page.content.decode()
    assert Monitor.objects.count() == 0


def test_pause_and_resume(client, owner, tcp):
    server = make_server(owner, "basic", ip=LOOPBACK)
    monitor = watch_tcp(server, tcp.port)
    client.force_login(owner.owner)
    url = reverse("servers:monitoring", args=[server.pk])
    client.post(url, {"action": "pause", "monitor": monitor.pk})
    assert check_now()["checked"] == 0
    client.post(url, {"action": "resume", "monitor": monitor.pk})
    assert check_now()["checked"] == 1
    client.post(url, {"action": "remove", "monitor": monitor.pk})
    assert not Monitor.objects.exists()


def test_a_suspended_server_is_not_watched(owner, tcp):
    server = make_server(owner, "basic", ip=LOOPBACK)
    watch_tcp(server, tcp.port)
    server.status = "suspended"
    server.save()
    assert check_now()["checked"] == 0
    assert dispatch(timezone.now()) == 0
