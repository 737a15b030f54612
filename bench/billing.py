"""Four processes issuing invoices at once: numbers must come out 1..N with no gap.

    .venv/bin/python bench/billing.py --processes 4 --each 2500            # PostgreSQL
    .venv/bin/python bench/billing.py --sqlite /tmp/bench-billing.sqlite3  # SQLite

PostgreSQL uses a fresh database `sportello_bench` on 127.0.0.1:5432 (dropped first).
Prints the time taken, the invoices per second, and the check of the numbers.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from benchdb import use_database

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--each", type=int, default=2500)
    parser.add_argument("--sqlite", help="SQLite file to use instead of PostgreSQL")
    args = parser.parse_args()

    use_database("sportello_bench", sqlite=args.sqlite)
    env = dict(os.environ)

    import django

    django.setup()
    from django.core.management import call_command

    from sportello.billing.models import Invoice
    from sportello.testing import make_client

    call_command("migrate", verbosity=0)
    client = make_client("bench@example.org")
    from django.db import connection

    connection.close()

    start = time.perf_counter()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "sportello.billing.tests.issue_worker",
             str(client.pk), str(args.each)],
            env=env,
        )
        for _ in range(args.processes)
    ]  # fmt: skip
    codes = [worker.wait() for worker in workers]
    elapsed = time.perf_counter() - start
    total = args.processes * args.each
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    gapless = numbers == list(range(1, total + 1))
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    print(f"{backend}: {args.processes} processes × {args.each} invoices, exit codes {codes}")
    print(f"{total} invoices in {elapsed:.1f} s: {total / elapsed:.0f} invoices/s")
    print(f"numbers 1..{total} with no gap and no repeat: {gapless}")
    sys.exit(0 if gapless and not any(codes) else 1)


if __name__ == "__main__":
    main()
