"""Kill the daily run at random points and check that running it again ends in the same
state as one clean run.

    .venv/bin/python bench/jobs_crash.py --services 30000 --iterations 20       # PostgreSQL
    .venv/bin/python bench/jobs_crash.py --services 30000 --sqlite /tmp/crash.sqlite3

A database is populated once as in `bench/jobs.py` (the seed). One copy gets a clean
`sportello runjobs --date D` (D is the catch-up day, the longest run). Then, in each
iteration, a fresh copy of the seed gets the same command, killed with SIGKILL after a
random delay (once or more, `--kills`), and then run again to completion. Its state must
equal the clean run's: invoices (client, number, totals, lines), renewal claims,
notices, service statuses, queued emails, audit rows, and every series numbered 1..N
without a gap. Ids are left out (a rolled-back insert still uses one up), and so is what
derives from them alone (the payment reference, checked against its invoice instead).
"""

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchdb  # noqa: E402  (bench/benchdb.py, beside this file)
import jobs as bench_jobs  # noqa: E402

PG = "postgresql://postgres@127.0.0.1:5432/"
SEED, CLEAN, RUN = "crash_seed", "crash_clean", "crash_run"


class Databases:
    """The seed, the clean run and the run being killed: PostgreSQL databases made from
    the seed as a template, or copies of one SQLite file."""

    def __init__(self, sqlite: str | None):
        self.sqlite = sqlite

    def name(self, which: str) -> str:
        if self.sqlite:
            return f"{self.sqlite}.{which}"
        return benchdb.database_name(f"sportello_bench_jobs_{which}")

    def env(self, which: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        if self.sqlite:
            env["SQLITE_PATH"] = self.name(which)
        else:
            env["DATABASE_URL"] = PG + self.name(which)
        return env

    def create_migrated(self, which: str):
        if self.sqlite:
            benchdb.copy_sqlite(self.name(which))
        else:
            benchdb.copy_postgres(f"sportello_bench_jobs_{which}")

    def copy(self, source: str, target: str):
        if self.sqlite:
            self.drop(target)
            source_db = sqlite3.connect(self.name(source))
            target_db = sqlite3.connect(self.name(target))
            source_db.backup(target_db)
            source_db.close()
            target_db.close()
        else:
            self._admin(f"DROP DATABASE IF EXISTS {self.name(target)}")
            self._admin(f"CREATE DATABASE {self.name(target)} TEMPLATE {self.name(source)}")

    def drop(self, which: str):
        if self.sqlite:
            for suffix in ("", "-wal", "-shm"):
                Path(self.name(which) + suffix).unlink(missing_ok=True)
        else:
            self._admin(f"DROP DATABASE IF EXISTS {self.name(which)}")

    @staticmethod
    def _admin(sql: str):
        import psycopg

        with psycopg.connect(PG + "postgres", autocommit=True) as connection:
            connection.execute(sql)


def sportello(env: dict, *args) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sportello.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_to_completion(env: dict, day: str) -> float:
    start = time.perf_counter()
    process = sportello(env, "runjobs", "--date", day)
    _out, err = process.communicate()
    if process.returncode != 0:
        sys.exit(f"runjobs failed:\n{err[-3000:]}")
    return time.perf_counter() - start


def state_of(env: dict) -> dict:
    """The state as this script's --state prints it, in another process on that database."""
    output = subprocess.run(
        [sys.executable, __file__, "--state"], env=env, capture_output=True, text=True
    )
    if output.returncode != 0:
        sys.exit(f"state failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout)


def populate(services: int):
    """The seed database, as `bench/jobs.py` populates it (in its own process)."""
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "sportello.settings"
    django.setup()
    from django.core.management import call_command

    from sportello.services.models import Service

    call_command("migrate", verbosity=0)
    bench_jobs.populate(services)
    print(f"{Service.objects.count()} services")


def print_progress():
    """What a killed run had committed: renewal claims and notices."""
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "sportello.settings"
    django.setup()
    from sportello.services.models import ServiceNotice, ServiceRenewal

    print(f"{ServiceRenewal.objects.count()} renewals, {ServiceNotice.objects.count()} notices")


def print_state():
    """The outcome of the daily run, without ids, as JSON on stdout."""
    import django

    os.environ["DJANGO_SETTINGS_MODULE"] = "sportello.settings"
    django.setup()
    from django.db.models import F

    from sportello.billing.models import Invoice, InvoiceLine, Sequence
    from sportello.billing.references import rf_reference
    from sportello.core.models import AuditEvent
    from sportello.mail.models import EmailAttachment, OutboundEmail
    from sportello.services.models import Service, ServiceNotice, ServiceRenewal

    invoice_fields = (
        "client_id", "kind", "purpose", "status", "series", "year", "number", "issued_on",
        "due_on", "net_total", "vat_total", "total", "paid_total", "vat_note",
        "billing_name", "billing_address", "language",
    )  # fmt: skip
    lines = {}
    for line in InvoiceLine.objects.order_by("position").values(
        "invoice_id", "service_id", "description", "period_start", "period_end",
        "quantity", "unit_price", "vat_rate", "net", "position",
    ):  # fmt: skip
        lines.setdefault(line.pop("invoice_id"), []).append(line)
    invoices, references_ok = [], True
    for invoice in Invoice.objects.values("pk", "payment_reference", *invoice_fields):
        pk = invoice.pop("pk")
        references_ok &= invoice.pop("payment_reference") == rf_reference(pk)
        invoices.append({**invoice, "lines": lines.get(pk, [])})
    numbers = {}
    for series, year, number in Invoice.objects.filter(number__isnull=False).values_list(
        "series", "year", "number"
    ):
        numbers.setdefault(f"{series}/{year}", []).append(number)
    gapless = all(sorted(found) == list(range(1, len(found) + 1)) for found in numbers.values())
    sequences_match = all(
        Sequence.objects.get(series=key.split("/")[0], year=int(key.split("/")[1])).last
        == len(found)
        for key, found in numbers.items()
    )
    numbered = {
        invoice["pk"]: (invoice["series"], invoice["year"], invoice["number"])
        for invoice in Invoice.objects.values("pk", "series", "year", "number")
    }
    state = {
        "invoices": invoices,
        "renewals": [
            {"invoice": numbered.get(invoice), "period": (service, start, end)}
            for service, start, end, invoice in ServiceRenewal.objects.values_list(
                "service_id", "period_start", "period_end", "invoice_id"
            )
        ],
        "notices": list(ServiceNotice.objects.values("service_id", "expires_on", "days_before")),
        "services": list(Service.objects.values("pk", "status", "expires_on")),
        "emails": list(
            OutboundEmail.objects.values("client_id", "template", "subject", "to_address")
        ),
        "attachments": list(
            EmailAttachment.objects.values("email__client_id", "filename", "content_type")
        ),
        "audit": list(AuditEvent.objects.values("action", "client_id", "detail")),
        "checks": {
            "payment references match their invoices": references_ok,
            "numbers 1..N without gaps": gapless,
            "sequences end at the last number": sequences_match,
            "every claimed period is a line of its invoice": (
                ServiceRenewal.objects.filter(
                    invoice__lines__service=F("service"),
                    invoice__lines__period_start=F("period_start"),
                ).count()
                == ServiceRenewal.objects.count()
            ),
            "every claim has its invoice": not ServiceRenewal.objects.filter(
                invoice__isnull=True
            ).exists(),
        },
    }
    for key, value in state.items():
        if isinstance(value, list):
            state[key] = sorted(value, key=lambda row: json.dumps(row, sort_keys=True, default=str))
    print(json.dumps(state, sort_keys=True, default=str))


def summary(state: dict) -> str:
    return (
        f"{len(state['invoices'])} invoices, {len(state['renewals'])} renewals, "
        f"{len(state['notices'])} notices, {len(state['emails'])} emails"
    )


def differences(expected: dict, found: dict) -> list[str]:
    diffs = []
    for key in expected:
        if expected[key] != found[key]:
            if isinstance(expected[key], list):
                want = Counter(json.dumps(row, sort_keys=True) for row in expected[key])
                have = Counter(json.dumps(row, sort_keys=True) for row in found[key])
                missing, extra = (want - have).total(), (have - want).total()
                diffs.append(f"{key}: {missing} missing, {extra} extra")
            else:
                diffs.append(f"{key}: {found[key]} instead of {expected[key]}")
    failed = [name for name, ok in found["checks"].items() if not ok]
    return diffs + [f"check failed: {name}" for name in failed]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=30_000)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--kills", type=int, default=1, help="kills before the run to completion")
    parser.add_argument("--sqlite", help="SQLite file prefix (default: PostgreSQL)")
    parser.add_argument("--seed", type=int, default=None, help="random seed")
    parser.add_argument("--state", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--populate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--progress", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.state:
        print_state()
        return
    if args.progress:
        print_progress()
        return
    if args.populate:
        populate(args.populate)
        return
    rng = random.Random(args.seed)
    databases = Databases(args.sqlite)
    data_dir = tempfile.mkdtemp(prefix="sportello-crash-")  # the task queue's file
    os.environ["SPORTELLO_DATA_DIR"] = data_dir
    day = (bench_jobs.DAY - timedelta(days=1)).isoformat()

    start = time.perf_counter()
    databases.create_migrated(SEED)
    seeded = subprocess.run(
        [sys.executable, __file__, "--populate", str(args.services)],
        env=databases.env(SEED), capture_output=True, text=True,
    )  # fmt: skip
    if seeded.returncode != 0:
        sys.exit(f"populate failed:\n{seeded.stderr[-3000:]}")
    print(f"seed: {seeded.stdout.strip()} ({time.perf_counter() - start:.0f} s)")

    databases.copy(SEED, CLEAN)
    clean_time = run_to_completion(databases.env(CLEAN), day)
    clean = state_of(databases.env(CLEAN))
    failed_checks = [name for name, ok in clean["checks"].items() if not ok]
    print(f"clean run of {day}: {clean_time:.1f} s, {summary(clean)}")
    if failed_checks:
        sys.exit(f"the clean run fails: {', '.join(failed_checks)}")

    failures = 0
    for iteration in range(1, args.iterations + 1):
        databases.copy(SEED, RUN)
        env = databases.env(RUN)
        kills = []
        for _kill in range(args.kills):
            delay = rng.uniform(0.5, clean_time)
            process = sportello(env, "runjobs", "--date", day)
            time.sleep(delay)
            finished = process.poll() is not None
            process.send_signal(signal.SIGKILL)
            process.wait()
            progress = subprocess.run(
                [sys.executable, __file__, "--progress"], env=env, capture_output=True, text=True
            ).stdout.strip()
            kills.append(f"{delay:.1f} s ({'had finished' if finished else progress})")
        run_to_completion(env, day)
        found = state_of(env)
        diffs = differences(clean, found)
        failures += bool(diffs)
        verdict = "same as the clean run" if not diffs else "DIFFERENT: " + "; ".join(diffs)
        print(f"{iteration:3d}: killed at {', '.join(kills)}; re-run: {verdict}")

    for which in (SEED, CLEAN, RUN):
        databases.drop(which)
    shutil.rmtree(data_dir, ignore_errors=True)
    print(f"{args.iterations - failures} of {args.iterations} iterations ended like the clean run")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
