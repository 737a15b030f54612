"""Time the staff reports (/desk/reports/…) at volume.

    .venv/bin/python bench/reports.py                  # PostgreSQL: 1,000,000 services and invoices
    .venv/bin/python bench/reports.py --services 100000 --invoices 100000 --tickets 20000
    .venv/bin/python bench/reports.py --keep           # measure again on the filled database
    .venv/bin/python bench/reports.py --sqlite /tmp/bench-reports.sqlite3 --services 2000

On PostgreSQL the rows are written with set-based SQL (generate_series), on SQLite in
batches through the ORM. Invoices are spread over the last two years (one in 50 a credit
note, one in 13 a payment notice without a number, one in 7 open; Italy, Germany and
France), one line each on a service; services expire over a year before and after today,
one in 20 cancelled; tickets over the last year on three channels; suggestion openings
likewise. Each report page is requested through Django's test client as an administrator
(server time, no network): 2 warm-ups, then --runs timed requests; the median, p95 and the
SQL queries, with the load average it was measured under.
"""

import argparse
import os
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from benchdb import collected_static, use_database

DB = "sportello_bench_reports"
PAGES = [
    ("revenue by month, 12 months", "/desk/reports/revenue/"),
    ("VAT summary, a quarter", "/desk/reports/vat/?period=q2"),
    ("VAT summary, a year", "/desk/reports/vat/?period=year"),
    ("receivables ageing, top 50", "/desk/reports/receivables/"),
    ("renewal forecast, 90 days", "/desk/reports/renewals/"),
    ("help-desk volume, 13 weeks", "/desk/reports/helpdesk/"),
    ("help-desk volume, 52 weeks", "/desk/reports/helpdesk/?weeks=52"),
    ("knowledge-base deflection, 13 weeks", "/desk/reports/kb/"),
    ("VAT summary CSV, a year", "/desk/reports/vat/csv/?period=year"),
]


def defaults_for(model, given: set[str], connection) -> tuple[str, str, list]:
    """The other not-null columns of `model` with their defaults, so a column added later
    (with a default, as every added column has) does not break the fill."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key or field.null:
            continue
        columns.append(field.column)
        values.append(field.get_db_prep_save(field.get_default(), connection=connection))
    return "".join(", " + c for c in columns), "".join(", %s" for _ in columns), values


def fill_postgres(services: int, invoices: int, tickets: int, openings: int, today) -> None:
    from django.db import connection

    from sportello.billing.models import Invoice, InvoiceLine
    from sportello.helpdesk.models import Ticket
    from sportello.kb.models import Article, SuggestionOpening
    from sportello.services.models import Service

    numbered = "(SELECT id, row_number() OVER (ORDER BY id) - 1 AS n FROM {table}) {alias}"
    with connection.cursor() as cursor:
        columns, marks, values = defaults_for(
            Service,
            {
                "client_id",
                "product_id",
                "name",
                "status",
                "registered_on",
                "expires_on",
                "renewal_policy",
                "cycle_months",
                "price",
                "currency",
                "created_at",
            },
            connection,
        )
        cursor.execute(
            f"""
            INSERT INTO services_service (client_id, product_id, name, status, registered_on,
                expires_on, renewal_policy, cycle_months, price, currency, created_at{columns})
            SELECT c.id, p.id, 'bench' || g || '.it',
                   CASE WHEN g %% 20 = 0 THEN 'cancelled' ELSE 'active' END,
                   %s::date - 400, %s::date + (g %% 730) - 365,
                   CASE WHEN g %% 3 = 0 THEN 'confirm' ELSE 'tacit' END, 12,
                   (10 + g %% 200) + 0.99, 'EUR', now(){marks}
            FROM generate_series(1, %s) AS g
            JOIN {numbered.format(table="accounts_client", alias="c")}
              ON c.n = g %% (SELECT count(*) FROM accounts_client)
            JOIN {numbered.format(table="catalog_product", alias="p")}
              ON p.n = g %% (SELECT count(*) FROM catalog_product)
            """,
            [today, today, *values, services],
        )
        cursor.execute("SELECT min(id), count(*) FROM services_service WHERE name LIKE 'bench%%'")
        first_service, service_count = cursor.fetchone()
        columns, marks, values = defaults_for(Invoice, {
            "client_id", "kind", "purpose", "status", "series", "year", "number", "issued_on",
            "numbered_on", "due_on", "currency", "net_total", "vat_total", "total",
            "paid_total", "credited_total", "billing_country", "billing_name", "created_at",
        }, connection)  # fmt: skip
        cursor.execute(
            f"""
            INSERT INTO billing_invoice (client_id, kind, purpose, status, series, year, number,
                issued_on, numbered_on, due_on, currency, net_total, vat_total, total,
                paid_total, credited_total, billing_country, billing_name, created_at{columns})
            SELECT c.id, CASE WHEN g %% 50 = 0 THEN 'credit_note' ELSE 'invoice' END,
                   'standard',
                   CASE WHEN g %% 50 = 0 THEN 'paid' WHEN g %% 7 = 0 OR g %% 13 = 0 THEN 'open'
                        ELSE 'paid' END,
                   CASE WHEN g %% 50 = 0 THEN 'NC' ELSE 'F' END,
                   CASE WHEN g %% 13 = 0 AND g %% 50 <> 0 THEN NULL
                        ELSE extract(year FROM d)::int END,
                   CASE WHEN g %% 13 = 0 AND g %% 50 <> 0 THEN NULL ELSE g END, d,
                   CASE WHEN g %% 13 = 0 AND g %% 50 <> 0 THEN NULL ELSE d END, d + 15, 'EUR',
                   100.00, rate, 100.00 + rate,
                   CASE WHEN g %% 50 <> 0 AND (g %% 7 = 0 OR g %% 13 = 0) THEN 0
                        ELSE 100.00 + rate END, 0, country, 'Cliente ' || c.id, now(){marks}
            FROM (SELECT g, %s::date - (g %% 730) AS d,
                         CASE g %% 10 WHEN 0 THEN 'DE' WHEN 1 THEN 'FR' ELSE 'IT' END AS country,
                         CASE g %% 10 WHEN 0 THEN 19.00 WHEN 1 THEN 20.00 ELSE 22.00 END AS rate
                  FROM generate_series(1, %s) AS g) s
            JOIN {numbered.format(table="accounts_client", alias="c")}
              ON c.n = g %% (SELECT count(*) FROM accounts_client)
            """,
            [*values, today, invoices],
        )
        columns, marks, values = defaults_for(InvoiceLine, {
            "invoice_id", "description", "service_id", "quantity", "unit_price", "vat_rate",
            "net", "position"}, connection)  # fmt: skip
        cursor.execute(
            f"""
            INSERT INTO billing_invoiceline (invoice_id, description, service_id, quantity,
                unit_price, vat_rate, net, position{columns})
            SELECT i.id, 'Rinnovo', %s + i.id %% %s, 1, i.net_total, i.vat_total, i.net_total,
                   1{marks}
            FROM billing_invoice i
            """,
            [first_service, service_count, *values],
        )
        columns, marks, values = defaults_for(
            Ticket,
            {
                "code",
                "client_id",
                "opened_by_id",
                "department_id",
                "category_id",
                "subject",
                "details",
                "status",
                "priority",
                "channel",
                "round_the_clock",
                "created_at",
                "last_activity_at",
                "first_response_due",
                "resolution_due",
                "closed_at",
            },
            connection,
        )
        cursor.execute(
            f"""
            INSERT INTO helpdesk_ticket (code, client_id, opened_by_id, department_id,
                category_id, subject, details, status, priority, channel, round_the_clock,
                created_at, last_activity_at, first_response_due, resolution_due,
                closed_at{columns})
            SELECT 'REP-' || lpad(g::text, 7, '0'), c.id, NULL, cat.department_id, cat.id,
                   'Richiesta ' || g, '{{}}'::jsonb,
                   CASE WHEN g %% 50 = 0 THEN 'open' ELSE 'closed' END, 'normal',
                   CASE g %% 3 WHEN 0 THEN 'email' WHEN 1 THEN 'panel' ELSE 'staff' END, false,
                   t, t, t + interval '4 hours', t + interval '24 hours',
                   CASE WHEN g %% 50 = 0 THEN NULL ELSE t + interval '1 day' END{marks}
            FROM (SELECT g, now() - (g %% 8760) * interval '1 hour' AS t
                  FROM generate_series(1, %s) AS g) s
            JOIN {numbered.format(table="accounts_client", alias="c")}
              ON c.n = g %% (SELECT count(*) FROM accounts_client)
            JOIN (SELECT id, department_id, row_number() OVER (ORDER BY id) - 1 AS n
                  FROM helpdesk_category) cat
              ON cat.n = g %% (SELECT count(*) FROM helpdesk_category)
            """,
            [*values, tickets],
        )
        article = Article.objects.order_by("pk").values_list("pk", flat=True).first()
        columns, marks, values = defaults_for(
            SuggestionOpening,
            {"article_id", "session_key", "opened_at", "ticket_followed_at"},
            connection,
        )
        cursor.execute(
            f"""
            INSERT INTO kb_suggestionopening (article_id, session_key, opened_at,
                ticket_followed_at{columns})
            SELECT %s, 's' || g, t, CASE WHEN g %% 4 = 0 THEN t + interval '1 hour' END{marks}
            FROM (SELECT g, now() - (g %% 8760) * interval '1 hour' AS t
                  FROM generate_series(1, %s) AS g) s
            """,
            [article, *values, openings],
        )


def fill_batches(services: int, invoices: int, tickets: int, openings: int, today) -> None:
    """The same rows through the ORM, in batches (SQLite has no generate_series)."""
    from django.utils import timezone

    from sportello.accounts.models import Client
    from sportello.billing.models import Invoice, InvoiceLine
    from sportello.catalog.models import Product
    from sportello.helpdesk.models import Category, Ticket
    from sportello.kb.models import Article, SuggestionOpening
    from sportello.services.models import Service

    clients = list(Client.objects.order_by("id").values_list("id", flat=True))
    products = list(Product.objects.order_by("id").values_list("id", flat=True))
    Service.objects.bulk_create(
        Service(client_id=clients[g % len(clients)], product_id=products[g % len(products)],
                name=f"bench{g}.it", status="cancelled" if g % 20 == 0 else "active",
                registered_on=today - timedelta(days=400),
                expires_on=today + timedelta(days=g % 730 - 365),
                renewal_policy="confirm" if g % 3 == 0 else "tacit", cycle_months=12,
                price=Decimal(10 + g % 200) + Decimal("0.99"))
        for g in range(1, services + 1)
    )  # fmt: skip
    service_ids = list(
        Service.objects.filter(name__startswith="bench").values_list("id", flat=True)
    )
    for start in range(1, invoices + 1, 5000):
        made = []
        for g in range(start, min(start + 5000, invoices + 1)):
            day = today - timedelta(days=g % 730)
            country, rate = {0: ("DE", Decimal(19)), 1: ("FR", Decimal(20))}.get(
                g % 10, ("IT", Decimal(22)))  # fmt: skip
            credit, notice = g % 50 == 0, g % 13 == 0 and g % 50 != 0
            open_ = not credit and (g % 7 == 0 or notice)
            made.append(
                Invoice(
                    client_id=clients[g % len(clients)],
                    kind="credit_note" if credit else "invoice",
                    status="open" if open_ else "paid",
                    series="NC" if credit else "F",
                    year=None if notice else day.year,
                    number=None if notice else g,
                    issued_on=day,
                    numbered_on=None if notice else day,
                    due_on=day + timedelta(days=15),
                    net_total=Decimal(100),
                    vat_total=rate,
                    total=100 + rate,
                    paid_total=Decimal(0) if open_ else 100 + rate,
                    billing_country=country,
                )
            )
        Invoice.objects.bulk_create(made)
        InvoiceLine.objects.bulk_create(
            InvoiceLine(invoice=i, description="Rinnovo", unit_price=i.net_total,
                        service_id=service_ids[i.pk % len(service_ids)],
                        vat_rate=i.vat_total, net=i.net_total)
            for i in made
        )  # fmt: skip
    categories = list(Category.objects.order_by("id").values_list("id", "department_id"))
    now = timezone.now()
    for start in range(1, tickets + 1, 5000):
        batch = []
        for g in range(start, min(start + 5000, tickets + 1)):
            category, department = categories[g % len(categories)]
            opened = now - timedelta(hours=g % 8760)
            batch.append(Ticket(
                code=f"REP-{g:07d}", client_id=clients[g % len(clients)],
                department_id=department, category_id=category, subject=f"Richiesta {g}",
                status="open" if g % 50 == 0 else "closed", priority="normal",
                channel=("email", "panel", "staff")[g % 3], created_at=opened,
                last_activity_at=opened, first_response_due=opened + timedelta(hours=4),
                resolution_due=opened + timedelta(hours=24),
                closed_at=None if g % 50 == 0 else opened + timedelta(days=1)))  # fmt: skip
        Ticket.objects.bulk_create(batch)
    article = Article.objects.order_by("pk").first()
    SuggestionOpening.objects.bulk_create(
        SuggestionOpening(article=article, session_key=f"s{g}",
                          opened_at=now - timedelta(hours=g % 8760),
                          ticket_followed_at=now if g % 4 == 0 else None)
        for g in range(1, openings + 1)
    )  # fmt: skip


def measure(browser, runs: int) -> list[tuple[str, float, float, float, int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results = []
    for name, url in PAGES:
        start = time.perf_counter()
        assert browser.get(url).status_code == 200, url
        first = (time.perf_counter() - start) * 1000
        assert browser.get(url).status_code == 200, url
        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = browser.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        timings.sort()
        p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
        results.append((name, first, statistics.median(timings), p95, len(queries)))
        print(f"| {name} | {first:.0f} | {results[-1][2]:.1f} | {p95:.1f} | {len(queries)} |",
              flush=True)  # fmt: skip
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=1_000_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--openings", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20, help="timed requests per report")
    parser.add_argument("--sqlite", help="SQLite file to use instead of PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="measure the filled database")
    args = parser.parse_args()
    use_database(DB, sqlite=args.sqlite, keep=args.keep)
    collected_static()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as Browser
    from django.utils import timezone

    from sportello.accounts.models import User
    from sportello.demo.data import seed_demo, seed_volume
    from sportello.testing import record_mfa_step

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    if not args.keep:
        started = time.perf_counter()
        seed_demo(today)
        seed_volume(args.clients, today, make_password("x"), batch=5000)
        fill = fill_batches if args.sqlite else fill_postgres
        fill(args.services, args.invoices, args.tickets, args.openings, today)
        if not args.sqlite:
            with connection.cursor() as cursor:  # as autovacuum would have, given time
                for table in (
                    "services_service",
                    "billing_invoice",
                    "billing_invoiceline",
                    "helpdesk_ticket",
                    "kb_suggestionopening",
                    "accounts_client",
                ):
                    cursor.execute(f"VACUUM ANALYZE {table}")  # fmt: skip
        print(f"filled in {time.perf_counter() - started:.0f} s")
        # The fill writes invoices past the numbering action: their day totals are built
        # as the migration builds them for documents numbered before the totals were kept.
        from sportello.reports import sales

        started = time.perf_counter()
        sales.rebuild()
        print(f"day totals rebuilt from every document in {time.perf_counter() - started:.1f} s")
    from sportello.billing.models import Invoice
    from sportello.helpdesk.models import Ticket
    from sportello.services.models import Service

    backend = "SQLite" if args.sqlite else "PostgreSQL"
    print(
        f"{backend}: {Service.objects.count():,} services, {Invoice.objects.count():,} "
        f"invoices, {Ticket.objects.count():,} tickets; load {os.getloadavg()[0]:.1f}"
    )
    admin = User.objects.get(email="admin@sportello.example")
    browser = Browser()
    browser.force_login(admin)
    record_mfa_step(browser.session, admin)  # as the two-factor step leaves it
    print(
        "| report | first view ms | median ms | p95 ms | SQL queries |\n|---|---:|---:|---:|---:|"
    )
    measure(browser, args.runs)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
