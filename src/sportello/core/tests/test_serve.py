"""`sportello serve`: the address links in mail name, and the console mail listener's port."""

import os
import signal
import smtplib
import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sportello.core.management.commands import serve


@pytest.mark.parametrize(
    "host, port, url",
    [
        ("127.0.0.1", 9001, "http://127.0.0.1:9001"),
        ("0.0.0.0", 8000, "http://127.0.0.1:8000"),
        ("::", 8080, "http://127.0.0.1:8080"),
        ("192.0.2.7", 80, "http://192.0.2.7:80"),
        ("::1", 8000, "http://[::1]:8000"),
    ],
)
def test_site_url_names_the_port_the_server_answers_on(host, port, url):
    assert serve.site_url(host, port) == url


def test_the_port_the_system_chooses_is_free_and_a_taken_one_is_refused():
    port = serve.bind_port("127.0.0.1")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", port))
        holder.listen()
        with pytest.raises(OSError):
            serve.bind_port("127.0.0.1", port)


class FakeProcess:
    """A process that has already finished cleanly, and the environment it was given."""

    started: list["FakeProcess"] = []

    def __init__(self, command, env):
        self.command, self.env, self.returncode = command, env, 0
        FakeProcess.started.append(self)

    def poll(self):
        return 0

    def wait(self, timeout=None):
        return 0

    def terminate(self):
        pass


@pytest.fixture
def started(monkeypatch):
    """What `serve` would start: commands and environments, nothing run."""
    FakeProcess.started = []
    monkeypatch.setattr(serve.subprocess, "Popen", FakeProcess)
    monkeypatch.setattr(serve, "collect_static", lambda: False)
    monkeypatch.setattr(serve, "listening", lambda host, port, process: True)
    monkeypatch.setattr(signal, "signal", lambda *args: None)
    for name in ("SITE_URL", "EMAIL_PORT"):
        monkeypatch.delenv(name, raising=False)
    return FakeProcess.started


def by_program(started) -> dict:
    names = {"aiosmtpd": "mail", "gunicorn": "web", "sportello.cli": "worker"}
    return {names[p.command[2]]: p for p in started}


def test_port_sets_site_url_and_the_mail_listener_takes_a_free_port(started):
    call_command("serve", "--port", "9123", "--mail-console")
    processes = by_program(started)
    listen = processes["mail"].command[processes["mail"].command.index("-l") + 1]
    host, port = listen.rsplit(":", 1)
    assert host == "127.0.0.1" and port != "1025"
    for name in ("web", "worker"):
        assert processes[name].env["EMAIL_PORT"] == port
        assert processes[name].env["SITE_URL"] == "http://127.0.0.1:9123"
    assert started[0] is processes["mail"]  # listening before the worker sends


def test_site_url_and_email_port_from_the_environment_are_kept(started, monkeypatch):
    free = serve.bind_port("127.0.0.1")
    monkeypatch.setenv("SITE_URL", "https://panel.example.com")
    monkeypatch.setenv("EMAIL_PORT", str(free))
    call_command("serve", "--port", "9124", "--mail-console")
    processes = by_program(started)
    assert processes["mail"].command[-1] == f"127.0.0.1:{free}"
    assert processes["worker"].env["SITE_URL"] == "https://panel.example.com"
    assert processes["worker"].env["EMAIL_PORT"] == str(free)


def test_collect_only_starts_nothing(started):
    call_command("serve", "--collect-only")
    assert started == []


def test_static_files_are_collected_again_only_when_their_sources_changed(
    settings, tmp_path, monkeypatch
):
    settings.DATA_DIR, settings.STATIC_ROOT = tmp_path, tmp_path / "static"
    runs = []

    def collectstatic(*args, **kwargs):
        runs.append(args)
        (tmp_path / "static").mkdir(exist_ok=True)
        (tmp_path / "static" / "staticfiles.json").write_text("{}")

    sources = ["one"]
    monkeypatch.setattr(serve, "call_command", collectstatic)
    monkeypatch.setattr(serve, "static_sources", lambda: sources[0])
    assert serve.collect_static() is True
    assert serve.collect_static() is False
    sources[0] = "a stylesheet changed"
    assert serve.collect_static() is True
    (tmp_path / "static" / "staticfiles.json").unlink()
    assert serve.collect_static() is True
    assert len(runs) == 3


def test_the_sources_digest_follows_a_changed_file(settings, tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "site.css").write_text("body {}")
    settings.STATICFILES_DIRS = [source]
    before = serve.static_sources()
    assert serve.static_sources() == before
    os.utime(source / "site.css", ns=(0, 10**18))
    assert serve.static_sources() != before


def test_without_the_mail_console_email_port_is_left_alone(started):
    call_command("serve", "--port", "9125")
    processes = by_program(started)
    assert set(processes) == {"web", "worker"}
    assert "EMAIL_PORT" not in processes["worker"].env


def test_a_taken_email_port_is_one_clear_error(started, monkeypatch):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        monkeypatch.setenv("EMAIL_PORT", str(holder.getsockname()[1]))
        with pytest.raises(CommandError, match="is taken"):
            call_command("serve", "--mail-console")
    assert started == []


def test_two_mail_listeners_on_one_box_each_get_their_own_port(monkeypatch):
    monkeypatch.delenv("EMAIL_PORT", raising=False)
    listeners = []
    try:
        for _n in range(2):
            listeners.append(serve.Command().start_mail_console({}))
        (first, first_port), (second, second_port) = listeners
        assert first_port != second_port
        for port in (first_port, second_port):
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
                assert smtp.noop()[0] == 250
    finally:
        for process, _port in listeners:
            process.terminate()
            process.wait(timeout=15)
