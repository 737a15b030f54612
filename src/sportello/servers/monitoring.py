"""Checks of monitored IPs, run by the workers (SRV-11).

A batch claims the checks that are due with a compare-and-swap on `next_check_at` (moved
a lease ahead, tagged with the batch's claim), so two workers never run the same check and
a worker that dies lets its checks come due again when the lease ends. The checks of a
batch run concurrently on one event loop, each with a short timeout; the results are
written in one transaction, with the state changes and their emails.
"""

import asyncio
import ipaddress
import math
import ssl
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sportello.mail.actions import queue_to_client

from . import plans
from .models import CheckResult, Monitor, MonitorDay, MonitorEvent, ServerSettings
from .notify import alert_staff

BATCH = 500
LEASE = timedelta(minutes=2)

# Errors are stored as codes and shown in the reader's language.
ERRORS = {
    "timeout": _("no answer in time"),
    "refused": _("connection refused"),
    "unreachable": _("unreachable"),
    "tls": _("secure connection (TLS) failed"),
    "bad_response": _("not an HTTP answer"),
    "status": _("unexpected HTTP status"),
}


def error_label(code: str) -> str:
    """`status:503` → "unexpected HTTP status 503"; unknown codes as they are."""
    name, _sep, extra = code.partition(":")
    label = ERRORS.get(name)
    return f"{label} {extra}".strip() if label else code


@dataclass
class Outcome:
    ok: bool
    response_ms: int | None
    error: str
    started: float  # time.time() when the check began


@dataclass
class Target:
    kind: str
    ip: str
    port: int | None
    url: str
    expected_status: int | None
    due: float = 0.0  # epoch seconds: a check claimed ahead waits for its time


def _tls_context(hostname: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if hostname is None:
        # An IP literal: a certificate rarely names it; availability is what is watched.
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def _check(target: Target, timeout: float) -> Outcome:
    if (wait := target.due - time.time()) > 0:
        await asyncio.sleep(wait)
    started = time.time()
    began = time.monotonic()
    writer = None
    try:
        async with asyncio.timeout(timeout):
            if target.kind == Monitor.Kind.TCP:
                _reader, writer = await asyncio.open_connection(target.ip, target.port)
                error = ""
            else:
                writer_box: list[asyncio.StreamWriter] = []
                error = await _http(target, writer_box)
                writer = writer_box[0] if writer_box else None
    except TimeoutError:
        return Outcome(False, None, "timeout", started)
    except ssl.SSLError:
        return Outcome(False, None, "tls", started)
    except ConnectionRefusedError:
        return Outcome(False, None, "refused", started)
    except (ConnectionError, OSError):
        return Outcome(False, None, "unreachable", started)
    finally:
        if writer is not None:
            writer.close()
    elapsed = math.ceil((time.monotonic() - began) * 1000)
    return Outcome(not error, elapsed, error, started)


async def _http(target: Target, writer_box: list[asyncio.StreamWriter]) -> str:
    parts = urlsplit(target.url)
    https = parts.scheme == "https"
    try:
        ipaddress.ip_address(parts.hostname or "")
        name = None
    except ValueError:
        name = parts.hostname
    reader, writer = await asyncio.open_connection(
        target.ip,
        parts.port or (443 if https else 80),
        ssl=_tls_context(name) if https else None,
        server_hostname=(name or "") if https else None,
    )
    writer_box.append(writer)
    host = parts.netloc.rsplit("@", 1)[-1]
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Sportello-Monitor\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n".encode("ascii", "ignore")
    )
    await writer.drain()
    status_line = await reader.readline()
    fields = status_line.split()
    if len(fields) < 2 or not fields[0].startswith(b"HTTP/") or not fields[1].isdigit():
        return "bad_response"
    status = int(fields[1])
    return "" if status == target.expected_status else f"status:{status}"


async def _check_all(targets: list[Target], timeout: float, concurrency: int) -> list[Outcome]:
    gate = asyncio.Semaphore(concurrency)

    async def one(target):
        async with gate:
            return await _check(target, timeout)

    return await asyncio.gather(*(one(t) for t in targets))


def run_checks(targets: list[Target], timeout: float, concurrency: int = BATCH) -> list[Outcome]:
    """Run checks on a fresh event loop in its own thread: the caller may be a worker
    thread or sit inside someone else's running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _check_all(targets, timeout, concurrency)).result()


# --- Claiming and recording ---------------------------------------------------------------


def claim_due(now: datetime, limit: int = BATCH,
              horizon: timedelta = timedelta(0)) -> tuple[str, dict[int, datetime]]:  # fmt: skip
    """Claim up to `limit` checks due by `now + horizon`; returns the claim and each claimed
    check's due time."""
    until = now + horizon
    due = dict(
        Monitor.objects.due(until)
        .order_by("next_check_at")
        .values_list("pk", "next_check_at")[:limit]
    )
    if not due:
        return "", {}
    claim = uuid.uuid4().hex
    # Compare-and-swap: a check another worker claimed meanwhile is no longer due.
    Monitor.objects.filter(pk__in=list(due), next_check_at__lte=until).update(
        next_check_at=until + LEASE, claim=claim
    )
    mine = set(Monitor.objects.filter(claim=claim).values_list("pk", flat=True))
    return claim, {pk: at for pk, at in due.items() if pk in mine}


def next_slot(due: datetime, interval_minutes: int, after: datetime) -> datetime:
    """Keep the check's rhythm; slots missed while the workers were busy are skipped."""
    step = timedelta(minutes=interval_minutes)
    slot = due + step
    if slot <= after:
        slot += step * ((after - slot) // step + 1)
    return slot


def run_due_checks(now: datetime, limit: int = BATCH, horizon: timedelta = timedelta(0)) -> dict:
    """One batch: claim the checks due by `now + horizon`, run each at its due time, record.
    Returns what it did."""
    claim, due = claim_due(now, limit, horizon)
    if not due:
        return {"checked": 0, "down": 0, "up": 0}
    monitors = list(Monitor.objects.filter(claim=claim, pk__in=list(due)))
    settings = ServerSettings.current()
    outcomes = run_checks(
        [
            Target(m.kind, m.ip_address, m.port, m.url, m.expected_status, due[m.pk].timestamp())
            for m in monitors
        ],
        settings.monitor_timeout_seconds,
    )
    return record(monitors, outcomes, due, claim, settings)


def record(monitors, outcomes, due: dict, claim: str, settings: ServerSettings) -> dict:
    finished = timezone.now()
    counts = {"checked": 0, "down": 0, "up": 0}
    results = []
    with transaction.atomic():
        for monitor, outcome in zip(monitors, outcomes, strict=True):
            at = datetime.fromtimestamp(outcome.started, tz=UTC)
            if not _store(monitor, outcome, at, due[monitor.pk], claim, settings, finished, counts):
                continue
            lag = max(0, int((at - due[monitor.pk]).total_seconds() * 1000))
            results.append(
                CheckResult(
                    monitor_id=monitor.pk,
                    at=at,
                    ok=outcome.ok,
                    response_ms=outcome.response_ms,
                    lag_ms=lag,
                    error=outcome.error,
                )
            )
            counts["checked"] += 1
        CheckResult.objects.bulk_create(results)
    return counts


def _store(monitor, outcome, at, due, claim, settings, finished, counts) -> bool:
    failures = 0 if outcome.ok else monitor.failures + 1
    successes = monitor.successes + 1 if outcome.ok else 0
    state = monitor.state
    if (
        state in {Monitor.State.PENDING, Monitor.State.UP}
        and failures >= settings.monitor_failures_down
    ):
        state = Monitor.State.DOWN
    elif state == Monitor.State.DOWN and successes >= settings.monitor_successes_up:
        state = Monitor.State.UP
    elif state == Monitor.State.PENDING and outcome.ok:
        state = Monitor.State.UP
    changed = state != monitor.state
    fields = {
        "failures": min(failures, 32767),
        "successes": min(successes, 32767),
        "state": state,
        "last_checked_at": at,
        "last_ok": outcome.ok,
        "last_response_ms": outcome.response_ms,
        "last_error": outcome.error,
        "next_check_at": next_slot(due, monitor.interval_minutes, finished),
        "claim": "",
    }
    if changed:
        fields["state_since"] = at
    # Only the claim's holder writes: a paused, removed or re-claimed check is left alone.
    if not Monitor.objects.filter(pk=monitor.pk, claim=claim).update(**fields):
        return False
    day = timezone.localdate(at)
    summary = {"checks": F("checks") + 1, "total_ms": F("total_ms") + (outcome.response_ms or 0)}
    if not outcome.ok:
        summary["failures"] = F("failures") + 1
    if not MonitorDay.objects.filter(monitor_id=monitor.pk, day=day).update(**summary):
        MonitorDay.objects.create(
            monitor_id=monitor.pk,
            day=day,
            checks=1,
            failures=0 if outcome.ok else 1,
            total_ms=outcome.response_ms or 0,
        )
    if changed:
        MonitorEvent.objects.create(monitor_id=monitor.pk, at=at, state=state, error=outcome.error)
        # A first good check starts the watch: nothing came back, so nobody is told.
        if monitor.state != Monitor.State.PENDING or state == Monitor.State.DOWN:
            counts[state] += 1
            for name, value in fields.items():
                setattr(monitor, name, value)
            _notify(monitor, state, outcome.error, at)
    return True


def _notify(monitor: Monitor, state: str, error: str, at: datetime) -> None:
    monitor = Monitor.objects.select_related("server__product", "client__owner").get(pk=monitor.pk)
    context = {"monitor": monitor, "server": monitor.server, "error": error, "at": at}
    template = "monitor_down" if state == Monitor.State.DOWN else "monitor_up"
    queue_to_client(monitor.client, template, context)
    if plans.support_level(monitor.server) in plans.STAFF_LEVELS:
        alert_staff(
            "servers_staff_alert",
            {**context, "kind": f"monitor_{state}", "client": monitor.client},
        )
