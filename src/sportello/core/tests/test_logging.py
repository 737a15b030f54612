"""The worker's console: every line once, and only the work it did at the default level."""

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from sportello.core.logs import RoutineTaskLines, counted, counts_text

# What would make the worker use another database, queue or level than the test gives it.
OWN_VARIABLES = {
    "DATABASE_URL", "SQLITE_PATH", "REDIS_URL", "TESTING", "HUEY_IMMEDIATE", "LOG_LEVEL",
    "DJANGO_SETTINGS_MODULE", "MEDIA_ROOT", "STATIC_ROOT", "SECRET_KEY", "MFA_ENCRYPTION_KEYS",
    "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL",
}  # fmt: skip
PERIODIC_EVERY_MINUTE = [
    "sportello.mail.tasks.send_due_emails",
    "sportello.mail.tasks.process_waiting_inbound",
    "sportello.servers.tasks.dispatch_checks",
]
QUEUE_ONE_EMAIL = """
from django.core.management import call_command
from django.utils import timezone
from sportello.mail.models import OutboundEmail
call_command("migrate", verbosity=0)
OutboundEmail.objects.create(to_address="olga@example.org", language="en", template="probe",
                             subject="Probe", body_text="Probe", next_attempt_at=timezone.now())
"""
# "[time] [pid] [LEVEL] logger: message"
LINE = re.compile(r"^\[[^]]+\] \[\d+\] \[(?P<level>[A-Z]+)\] (?P<name>[\w.]+): (?P<message>.*)$")


@pytest.fixture(scope="module")
def prepared_data(tmp_path_factory):
    """A migrated data directory with one email due, made once for the module."""
    data = tmp_path_factory.mktemp("worker-data")
    env = {k: v for k, v in os.environ.items() if k not in OWN_VARIABLES}
    prepared = subprocess.run(
        [sys.executable, "-m", "sportello.cli", "shell", "-c", QUEUE_ONE_EMAIL],
        env={**env, "SPORTELLO_DATA_DIR": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert prepared.returncode == 0, prepared.stderr
    return data


@pytest.fixture
def worker_env(prepared_data, smtp_listener, tmp_path):
    """Each test's worker gets its own copy of the data, the email still due in it."""
    controller, _inbox = smtp_listener
    data = tmp_path / "data"
    shutil.copytree(prepared_data, data)
    env = {k: v for k, v in os.environ.items() if k not in OWN_VARIABLES}
    return {
        **env,
        "SPORTELLO_DATA_DIR": str(data),
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(controller.port),
    }


def run_worker(env, *args, until, timeout=60.0) -> list[str]:
    """The worker's output lines, from its start until `until(lines)` holds and a second
    more (what the other worker thread runs at that moment), then a clean stop."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sportello.cli", "worker", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    output = process.stdout
    assert output is not None
    reader = threading.Thread(target=lambda: lines.extend(output), daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    try:
        while not until(list(lines)):
            assert process.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "".join(lines)
            time.sleep(0.1)
        time.sleep(1)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
        reader.join(timeout=5)
    # huey's list of tasks continues its line over the next ones ("+ task").
    return [line.rstrip("\n") for line in lines if not line.startswith("+ ")]


def test_the_worker_prints_each_line_once_and_nothing_for_idle_periodic_runs(worker_env, inbox):
    lines = run_worker(worker_env, until=lambda _lines: inbox.to("olga@example.org"))
    parsed = [LINE.match(line) for line in lines]
    assert all(parsed), lines  # one handler, one format: no bare copies of a line
    messages = [match["message"] for match in parsed]
    assert len(messages) == len(set(messages)), lines
    assert [m for m in messages if "sent" in m] == ["sent 1 due email"]
    assert inbox.wait_for(1)[0]["Subject"] == "Probe"
    # The periodic runs that found nothing, and huey's lines about running them, say nothing.
    assert not [m for m in messages if re.search(r"Executing|executed in|Enqueueing", m)], lines
    assert {match["level"] for match in parsed} == {"INFO"}
    assert "Huey consumer started" in messages[0]


def test_with_v2_the_worker_shows_each_periodic_run_once_at_debug(worker_env):
    ran = [f"{task}: \\S+ executed in" for task in PERIODIC_EVERY_MINUTE]
    lines = run_worker(
        worker_env,
        "-v",
        "2",
        until=lambda lines: all(any(re.search(p, line) for line in lines) for p in ran),
    )
    executing = [line for line in lines if "] huey: Executing " in line]
    for task in PERIODIC_EVERY_MINUTE:
        found = [line for line in executing if f"Executing {task}:" in line]
        assert len(found) == 1, lines
        assert "[DEBUG]" in found[0]


def test_routine_huey_lines_become_debug_and_pass_only_when_debug_is_on():
    routine = RoutineTaskLines()
    huey = logging.getLogger("huey")
    saved = huey.level
    try:
        huey.setLevel(logging.INFO)
        record = logging.makeLogRecord(
            {"name": "huey", "msg": "Executing %s", "args": ("t",), "levelno": logging.INFO}
        )
        assert routine.filter(record) is False
        assert (record.levelno, record.levelname) == (logging.DEBUG, "DEBUG")
        huey.setLevel(logging.DEBUG)
        record = logging.makeLogRecord(
            {"name": "huey", "msg": "%s executed in %0.3fs", "args": ("t", 0.1), "levelno": 20}
        )
        assert routine.filter(record) is True
        assert record.levelname == "DEBUG"
    finally:
        huey.setLevel(saved)
    for name, msg, level in [
        ("huey", "Task %s not run, %s.", logging.WARNING),
        ("huey.consumer", "Huey consumer started with %s %s, PID %s at %s", logging.INFO),
        ("sportello.mail.tasks", "Executing %s", logging.INFO),
    ]:
        record = logging.makeLogRecord({"name": name, "msg": msg, "levelno": level})
        assert routine.filter(record) is True
        assert record.levelno == level


def test_work_lines_read_as_counts():
    assert counted(1, "email") == "1 email"
    assert counted(12, "email") == "12 emails"
    assert counted(2, "batch", "batches") == "2 batches"
    assert counts_text({"invoices": 3, "services": 0, "on_hold": 2}) == "invoices 3, on hold 2"
