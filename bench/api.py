"""Time the REST API's list and detail endpoints at volume (PostgreSQL, Redis for the rate
limit when it answers).

    .venv/bin/python bench/api.py                      # 100,000 clients, 1,000,000 invoices
    .venv/bin/python bench/api.py --clients 10000 --invoices 100000
    .venv/bin/python bench/api.py --keep               # measure again on the filled database

Clients come from the demo's volume seed; invoices are issued, numbered rows written in
batches (10 per client on average, 3 lines each for the client whose detail is timed).
Each request goes through Django's test client with a bearer token (server time, no
network): median, p95, the process CPU per request and the SQL queries, first with a few
invoices, then at full volume, and at page sizes 10 and 200 (the query count must not
change with either).
"""

import argparse
import os
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from benchdb import use_database

DB = "sportello_bench_api"
REDIS = "redis://127.0.0.1:6379/12"


def fill_invoices(first: int, last: int, clients: list[int]) -> None:
    """Issued invoices numbered first..last of 2026, spread over `clients`."""
    from sportello.billing.models import Invoice

    batch = []
    for n in range(first, last + 1):
        day = date(2026, 1, 1) + timedelta(days=n % 330)
        batch.append(
            Invoice(
                client_id=clients[n % len(clients)], status=Invoice.Status.OPEN if n % 7 == 0
                else Invoice.Status.PAID, series="F", year=2026, number=n, issued_on=day,
                numbered_on=day, due_on=day + timedelta(days=15), net_total=Decimal("100.00"),
                vat_total=Decimal("22.00"), total=Decimal("122.00"),
                paid_total=Decimal("0.00") if n % 7 == 0 else Decimal("122.00"),
                payment_reference=f"RF18{n:011d}", language="it",
            )
        )  # fmt: skip
        if len(batch) == 5000:
            Invoice.objects.bulk_create(batch)
            batch = []
    if batch:
        Invoice.objects.bulk_create(batch)


def add_lines(client_id: int) -> None:
    from sportello.billing.models import Invoice, InvoiceLine

    lines = [
        InvoiceLine(invoice=invoice, description=f"Servizio {k}", unit_price=Decimal("33.33"),
                    vat_rate=Decimal("22.00"), net=Decimal("33.33"), position=k)
        for invoice in Invoice.objects.filter(client_id=client_id, lines__isnull=True)
        for k in range(1, 4)
    ]  # fmt: skip
    InvoiceLine.objects.bulk_create(lines)


def measure(label: str, requests: dict, repeat: int = 60) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:  # as autovacuum would have, given time
        cursor.execute("VACUUM ANALYZE billing_invoice")
        cursor.execute("VACUUM ANALYZE accounts_client")
    print(f"\n{label}")
    print("| request | median ms | p95 ms | CPU ms | SQL queries |\n|---|---:|---:|---:|---:|")
    for name, (browser, url, headers) in requests.items():
        browser.get(url, **headers)  # warm up
        timings, cpu = [], []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                start, start_cpu = time.perf_counter(), time.process_time()
                response = browser.get(url, **headers)
                timings.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200, (url, response.status_code, response.content)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"| {name} | {statistics.median(timings):.1f} | {p95:.1f} | "
              f"{statistics.mean(cpu):.1f} | {len(queries)} |", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="measure the filled database")
    parser.add_argument("--runs", type=int, default=60, help="timed requests per endpoint")
    args = parser.parse_args()
    use_database(DB, keep=args.keep)
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
        os.environ["REDIS_URL"] = REDIS
    except Exception:  # noqa: BLE001 (no Redis: the limiter counts in the database)
        pass

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.test import Client as Browser
    from django.utils import timezone

    from sportello.accounts.models import Client, User
    from sportello.api import actions, scopes
    from sportello.billing.models import Invoice
    from sportello.demo.data import seed_demo, seed_volume

    settings.ALLOWED_HOSTS = ["*"]
    settings.API_RATE_LIMIT = 10**9
    call_command("migrate", verbosity=0)
    if not args.keep:
        seed_demo(timezone.localdate())
        started = time.perf_counter()
        seed_volume(args.clients, timezone.localdate(), make_password("x"), batch=5000)
        print(f"seeded {args.clients:,} clients in {time.perf_counter() - started:.0f} s")
    print("limiter:", "Redis" if settings.REDIS_URL else "database")
    clients = list(Client.objects.order_by("pk").values_list("pk", flat=True))
    owner = Client.objects.get(owner__email=f"client{min(42, args.clients):06d}@volume.example")
    admin = User.objects.get(email="admin@sportello.example")
    now = timezone.now()
    _t, staff_raw = actions.create_token(admin, name="bench", scopes=scopes.ALL, now=now)
    _t, client_raw = actions.create_token(
        owner.owner, client=owner, name="bench", scopes=scopes.CLIENT_SCOPES, now=now
    )
    staff = {"HTTP_AUTHORIZATION": f"Bearer {staff_raw}"}
    own = {"HTTP_AUTHORIZATION": f"Bearer {client_raw}"}
    browser = Browser()

    def requests() -> dict:
        newest = Invoice.objects.filter(client=owner).order_by("-pk").first()
        assert newest is not None
        page = browser.get("/api/v1/invoices?limit=50", **staff).json()
        for _n in range(19):
            if not page.get("next_cursor"):  # fewer pages than that (a tiny run)
                break
            page = browser.get(f"/api/v1/invoices?limit=50&cursor={page['next_cursor']}",
                               **staff).json()  # fmt: skip
        cursor = page.get("next_cursor") or ""
        return {
            "staff: invoices, first page (50)": (browser, "/api/v1/invoices?limit=50", staff),
            "staff: invoices, page 21 by cursor": (
                browser, f"/api/v1/invoices?limit=50&cursor={cursor}", staff),
            "staff: invoices, 10 a page": (browser, "/api/v1/invoices?limit=10", staff),
            "staff: invoices, 200 a page": (browser, "/api/v1/invoices?limit=200", staff),
            "staff: one client's invoices": (
                browser, f"/api/v1/invoices?client_id={owner.pk}", staff),
            "staff: clients, first page (50)": (browser, "/api/v1/clients?limit=50", staff),
            "client token: own invoices": (browser, "/api/v1/invoices", own),
            "staff: invoice detail (3 lines)": (
                browser, f"/api/v1/invoices/{newest.pk}", staff),
            "client token: invoice detail": (browser, f"/api/v1/invoices/{newest.pk}", own),
            "staff: client detail": (browser, f"/api/v1/clients/{owner.pk}", staff),
        }  # fmt: skip

    if args.keep:
        measure("the filled database", requests(), args.runs)
        return
    small = min(20_000, args.invoices)
    fill_invoices(1, small, clients)
    add_lines(owner.pk)
    measure(f"{args.clients:,} clients, {small:,} invoices", requests(), args.runs)
    started = time.perf_counter()
    for first in range(small + 1, args.invoices + 1, 100_000):
        fill_invoices(first, min(first + 99_999, args.invoices), clients)
        print(f"  … {min(first + 99_999, args.invoices):,} invoices "
              f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    add_lines(owner.pk)
    print(f"{Invoice.objects.count():,} invoices")
    if args.invoices > small:
        measure(f"{args.clients:,} clients, {args.invoices:,} invoices", requests(), args.runs)


if __name__ == "__main__":
    main()
