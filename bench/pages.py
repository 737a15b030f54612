"""Time the client dashboard and the staff client list with many clients.

    SPORTELLO_DATA_DIR=/tmp/sportello-bench .venv/bin/python bench/pages.py --clients 10000

Seeds the demo plus volume clients (idempotent), then requests each page repeatedly through
Django's test client and prints the median and 95th percentile time and the SQL query count.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sportello.settings")
os.environ.setdefault("SPORTELLO_DATA_DIR", "/tmp/sportello-bench")

from benchdb import collected_static, use_database  # noqa: E402 (after the environment)


def measure(client, url, runs):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], len(queries)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--sqlite", help="SQLite file (default: the data directory's)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    if args.sqlite or args.postgres:
        use_database("sportello_bench_pages", sqlite=args.sqlite)
    collected_static()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from sportello.accounts.models import User
    from sportello.services.models import Service
    from sportello.testing import record_mfa_step

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("seeddemo", clients=args.clients, stdout=open(os.devnull, "w"))
    print(
        f"seeded in {time.perf_counter() - start:.1f} s; "
        f"{User.objects.count()} logins, {Service.objects.count()} services"
    )

    client_login = User.objects.get(email="info@ferramentabianchi.example")
    staff = User.objects.get(email="agent@sportello.example")
    browser = Client()
    browser.force_login(client_login)
    rows = [("client dashboard", "/panel/")]
    results = [(name, *measure(browser, url, args.runs)) for name, url in rows]
    browser.force_login(staff)
    record_mfa_step(browser.session, staff)  # as the two-factor step leaves it
    for name, url in [
        ("staff client list", "/desk/"),
        ("staff client list, page 100", "/desk/?page=100"),
        ("staff search by domain", "/desk/?q=cliente5000"),
        ("staff client page", f"/desk/clients/{client_login.client.pk}/"),
    ]:
        results.append((name, *measure(browser, url, args.runs)))
    print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for name, median, p95, queries in results:
        print(f"{name:32} {median:10.1f} {p95:8.1f} {queries:8}")


if __name__ == "__main__":
    main()
