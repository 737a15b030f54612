"""Time the daily run over many services, then a second run the same day.

    .venv/bin/python bench/jobs.py --services 100000 --sqlite /tmp/bench-jobs.sqlite3
    .venv/bin/python bench/jobs.py --services 1000000                # PostgreSQL

Services are spread evenly over the year of expiry dates that follows the day (three per
client). The run of the day before catches up what is already due (for domains, whose
invoice goes out 60 days ahead, two months of renewals); the day itself is then in steady
state: about services/365 renewals per product type and notices at each configured offset.
"""

import argparse
import sys
import time
from datetime import date, timedelta

from benchdb import use_database

DAY = date(2027, 3, 1)


def populate(count: int):
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from sportello.demo.data import seed_demo, seed_volume
    from sportello.services.models import Service

    seed_demo(DAY)
    per_client = 3
    seed_volume(count // per_client, DAY, make_password("x"), batch=5000)
    # Spread expiry dates over the year after DAY.
    ids = list(Service.objects.values_list("pk", flat=True))
    for offset in range(365):
        chunk = ids[offset::365]
        expires = DAY + timedelta(days=offset + 1)
        Service.objects.filter(pk__in=chunk).update(
            expires_on=expires, registered_on=expires - timedelta(days=365)
        )
    # Planner statistics, as a database in service has them (autovacuum analyses tables
    # this size within minutes of loading them, where it is on).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--sqlite")
    parser.add_argument("--keep", action="store_true", help="reuse the populated database")
    args = parser.parse_args()
    use_database("sportello_bench_jobs", sqlite=args.sqlite, keep=args.keep)

    import django

    django.setup()
    from django.core.management import call_command

    from sportello.automation.registry import run_day, run_time
    from sportello.services.models import Service

    call_command("migrate", verbosity=0)
    if not args.keep:
        start = time.perf_counter()
        populate(args.services)
        print(
            f"populated {Service.objects.count()} services in {time.perf_counter() - start:.0f} s"
        )
    for label, day in (
        ("catch-up, day before", DAY - timedelta(days=1)),
        ("day's run", DAY),
        ("second run, same day", DAY),
    ):
        start = time.perf_counter()
        results = run_day(run_time(day))
        elapsed = time.perf_counter() - start
        print(f"{label}: {elapsed:.1f} s")
        for name, result in results.items():
            print(f"    {name}: {result['duration_ms'] / 1000:.1f} s {result['counts']}")
    sys.exit(0)


if __name__ == "__main__":
    main()
