"""Time the help desk's pages with many tickets and many client logins.

    .venv/bin/python bench/helpdesk.py          # PostgreSQL: 1,000,000 tickets, 100,000 clients
    .venv/bin/python bench/helpdesk.py --tickets 100000 --messages 1000000 --clients 20000
    .venv/bin/python bench/helpdesk.py --keep     # measure again on the filled database
    .venv/bin/python bench/helpdesk.py --sqlite /tmp/bench-helpdesk.sqlite3 --tickets 20000

On PostgreSQL tickets and messages are written with set-based SQL (generate_series), on
SQLite in batches; 2% of the tickets are open, the rest closed, spread over the volume
clients and every category. Staff answers are written by the demo's agent, a few by a
deleted staff member (author null). Each page is requested through Django's test client
(server time, no network): 3 warm-ups, one request whose queries are counted, then --runs
timed requests (200: a p95 of fewer moves with one slow request); the median, p95, the
process's CPU per request and the SQL queries, first with a few thousand tickets, then with
the full volume (the query count must not change). The ticket search is timed
with a word in every message, a rare word, a code, a client's email and a domain.
Deep queue pages are reached by
following the pages' own "next" links, as a person would. Every table is printed with the
load average it was measured under.
"""

import argparse
import os
import re
import statistics
import time

from benchdb import collected_static, use_database

DB = "sportello_bench_helpdesk"
# A word in the messages of one ticket in RARE_EVERY, for the search's rare case; "messaggio"
# is in every message, its common case.
RARE_WORD, RARE_EVERY = "zanzibar", 5000
NEXT_LINK = re.compile(r'<a href="\?([^"]*)"[^>]*rel="next"|<a rel="next" href="\?([^"]*)"')


def defaults_for(model, given: set[str], connection) -> tuple[list[str], list]:
    """The other columns of `model` with their defaults, so a column added later (with a
    default, as every added column has) does not break the fill."""
    columns, values = [], []
    for field in model._meta.concrete_fields:
        if field.column in given or field.primary_key:
            continue
        if field.null:
            continue
        default = field.get_default()
        columns.append(field.column)
        values.append(field.get_db_prep_save(default, connection=connection))
    return columns, values


def fill_postgres(first: int, last: int, messages_per_ticket: int, agent_id: int):
    """Tickets first..last (codes BEN-0000001…) and their messages, in plain SQL."""
    from django.db import connection

    from sportello.helpdesk.models import Message, Ticket

    def extra(model, given):
        columns, values = defaults_for(model, given, connection)
        return "".join(", " + c for c in columns), "".join(", %s" for _ in columns), values

    ticket_given = {
        "code", "client_id", "opened_by_id", "department_id", "category_id", "subject",
        "details", "status", "priority", "channel", "round_the_clock", "created_at",
        "last_activity_at", "first_response_due", "resolution_due", "first_responded_at",
        "closed_at",
    }  # fmt: skip
    columns, placeholders, values = extra(Ticket, ticket_given)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO helpdesk_ticket (code, client_id, opened_by_id, department_id,
                category_id, subject, details, status, priority, channel, round_the_clock,
                created_at, last_activity_at, first_response_due, resolution_due,
                first_responded_at, closed_at{columns})
            SELECT 'BEN-' || lpad(g::text, 7, '0'),
                   c.id, c.owner_id, cat.department_id, cat.id,
                   'Richiesta numero ' || g, '{{}}'::jsonb,
                   CASE WHEN g %% 50 = 0 THEN 'open' ELSE 'closed' END,
                   CASE WHEN g %% 3 = 0 THEN 'low' ELSE 'normal' END, 'panel', false,
                   now() - (g %% 1000) * interval '1 hour',
                   now() - (g %% 1000) * interval '1 hour',
                   now() - (g %% 1000) * interval '1 hour' + interval '4 hours',
                   now() - (g %% 1000) * interval '1 hour' + interval '24 hours',
                   now() - (g %% 1000) * interval '1 hour' + interval '1 hour',
                   CASE WHEN g %% 50 = 0 THEN NULL ELSE now() END{placeholders}
            FROM generate_series(%s, %s) AS g
            JOIN (SELECT id, owner_id, row_number() OVER (ORDER BY id) - 1 AS n
                  FROM accounts_client) c ON c.n = g %% (SELECT count(*) FROM accounts_client)
            JOIN (SELECT id, department_id, row_number() OVER (ORDER BY id) - 1 AS n
                  FROM helpdesk_category) cat
              ON cat.n = g %% (SELECT count(*) FROM helpdesk_category)
            """,
            [*values, first, last],
        )
        message_given = {"ticket_id", "kind", "author_id", "body", "event", "event_data",
                         "created_at"}  # fmt: skip
        columns, placeholders, values = extra(Message, message_given)
        cursor.execute(
            f"""
            INSERT INTO helpdesk_message (ticket_id, kind, author_id, body, event, event_data,
                                          created_at{columns})
            SELECT t.id, CASE WHEN m %% 2 = 1 THEN 'client' ELSE 'staff' END,
                   CASE WHEN m %% 2 = 1 THEN t.opened_by_id
                        WHEN m %% 6 = 0 THEN NULL ELSE %s END,
                   'Messaggio ' || m || ' del ticket ' || t.code
                       || CASE WHEN t.id %% {RARE_EVERY} = 7 THEN ' {RARE_WORD}' ELSE '' END,
                   '', '{{}}'::jsonb,
                   t.created_at + m * interval '10 minutes'{placeholders}
            FROM helpdesk_ticket t CROSS JOIN generate_series(1, %s) AS m
            WHERE t.code BETWEEN %s AND %s
            """,
            [agent_id, *values, messages_per_ticket, f"BEN-{first:07d}", f"BEN-{last:07d}"],
        )


def fill_batches(first: int, last: int, messages_per_ticket: int, agent_id: int):
    """The same rows through the ORM, in batches (SQLite has no generate_series)."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from sportello.accounts.models import Client
    from sportello.helpdesk.models import Category, Message, Ticket

    clients = list(Client.objects.order_by("id").values_list("id", "owner_id"))
    categories = list(Category.objects.order_by("id").values_list("id", "department_id"))
    now = timezone.now()
    for start in range(first, last + 1, 5000):
        with transaction.atomic():
            tickets = []
            for g in range(start, min(start + 4999, last) + 1):
                client_id, owner_id = clients[g % len(clients)]
                category_id, department_id = categories[g % len(categories)]
                opened = now - timedelta(hours=g % 1000)
                tickets.append(Ticket(
                    code=f"BEN-{g:07d}", client_id=client_id, opened_by_id=owner_id,
                    department_id=department_id, category_id=category_id,
                    subject=f"Richiesta numero {g}", status="open" if g % 50 == 0 else "closed",
                    priority="low" if g % 3 == 0 else "normal", channel="panel",
                    created_at=opened, last_activity_at=opened,
                    first_response_due=opened + timedelta(hours=4),
                    resolution_due=opened + timedelta(hours=24),
                    first_responded_at=opened + timedelta(hours=1),
                    closed_at=None if g % 50 == 0 else now,
                ))  # fmt: skip
            Ticket.objects.bulk_create(tickets)
            Message.objects.bulk_create(
                Message(
                    ticket=ticket,
                    kind="client" if m % 2 else "staff",
                    author_id=ticket.opened_by_id if m % 2 else (None if m % 6 == 0 else agent_id),
                    body=f"Messaggio {m} del ticket {ticket.code}"
                    + (f" {RARE_WORD}" if ticket.pk % RARE_EVERY == 7 else ""),
                    created_at=ticket.created_at + timedelta(minutes=10 * m),
                )
                for ticket in tickets
                for m in range(1, messages_per_ticket + 1)
            )


def analyse():
    from django.db import connection

    with connection.cursor() as cursor:  # as autovacuum would have, given time
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE helpdesk_ticket")
            cursor.execute("VACUUM ANALYZE helpdesk_message")
            cursor.execute("VACUUM ANALYZE accounts_user")
            cursor.execute("VACUUM ANALYZE accounts_client")
            cursor.execute("VACUUM ANALYZE services_service")
        else:
            cursor.execute("ANALYZE")


def deep_url(browser, url: str, depth: int) -> str:
    """The address of page `depth`, reached through the pages' "next" links."""
    for _ in range(depth - 1):
        html = browser.get(url).content.decode()
        found = NEXT_LINK.search(html)
        if not found:
            break
        url = url.split("?")[0] + "?" + (found[1] or found[2]).replace("&amp;", "&")
    return url


def measure(label: str, pages: dict, runs: int) -> list[tuple]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    analyse()
    rows = []
    for name, (browser, url) in pages.items():
        for _ in range(3):  # warm-ups
            browser.get(url)
        expected = 302 if name.endswith("a code") else 200  # a code opens its ticket
        # The queries are counted on a request of their own: the cursor that records them
        # costs time per query, which the timed requests should not include.
        with CaptureQueriesContext(connection) as queries:
            browser.get(url)
        query_count = len(queries)  # read now: the next request empties the log it reads
        timings, cpu = [], []
        for _ in range(runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = browser.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == expected, (url, response.status_code)
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        rows.append((name, statistics.median(timings), p95, statistics.median(cpu), query_count))
    load = "/".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"\n{label} ({connection.vendor}, load average {load})")
    print("| page | p50 ms | p95 ms | CPU ms | SQL queries |\n|---|---:|---:|---:|---:|")
    for name, median, p95, cpu_ms, count in rows:
        print(f"| {name} | {median:.1f} | {p95:.1f} | {cpu_ms:.1f} | {count} |", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--clients", type=int, default=100_000, help="client logins")
    parser.add_argument("--runs", type=int, default=200, help="timed requests per page")
    parser.add_argument("--depth", type=int, default=30, help="the deep queue page")
    parser.add_argument("--sqlite", help="SQLite file (default: PostgreSQL)")
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

    from sportello.accounts.models import Client, User
    from sportello.demo.data import seed_demo, seed_volume
    from sportello.helpdesk.models import Message, Ticket
    from sportello.testing import record_mfa_step

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    if not args.keep:
        seed_demo(timezone.localdate())
        seed_volume(args.clients, timezone.localdate(), make_password("x"), batch=5000)
        print(f"seeded {User.objects.count():,} logins in {time.perf_counter() - start:.0f} s",
              flush=True)  # fmt: skip
    per_ticket = max(1, args.messages // max(1, args.tickets))
    fill = fill_postgres if connection.vendor == "postgresql" else fill_batches

    agent_user = User.objects.get(email="agent@sportello.example")
    agent, admin = Browser(), Browser()
    for browser, user in (
        (agent, agent_user),
        (admin, User.objects.get(email="admin@sportello.example")),
    ):
        browser.force_login(user)
        record_mfa_step(browser.session, user)  # as the two-factor step leaves it
    client = Client.objects.get(owner__email=f"client{min(42, args.clients):06d}@volume.example")
    owner = Browser()
    owner.force_login(client.owner)

    def pages():
        open_ticket = (
            Ticket.objects.filter(code__startswith="BEN-", status="open",
                                  department__in=agent_user.departments.all())
            .order_by("code").first()
        )  # fmt: skip
        own = client.tickets.order_by("-id").first()
        chosen = {
            "staff queue, agent (Helpdesk)": (agent, "/desk/tickets/"),
            "staff queue, admin, late only": (admin, "/desk/tickets/?due=late"),
            "staff queue, admin, by priority": (admin, "/desk/tickets/?sort=priority"),
            "staff queue, closed, by opening": (admin, "/desk/tickets/?status=closed&sort=created"),
            "service levels, admin": (admin, "/desk/sla/"),
            f"staff queue, page {args.depth}": (
                admin, deep_url(admin, "/desk/tickets/?status=open", args.depth)
            ),
            f"staff queue, closed, page {args.depth}": (
                admin, deep_url(admin, "/desk/tickets/?status=closed", args.depth)
            ),
            "client ticket list (open)": (owner, "/panel/tickets/"),
            "client ticket list (closed)": (owner, "/panel/tickets/?show=closed"),
        }  # fmt: skip
        if open_ticket:
            chosen["staff ticket page"] = (agent, f"/desk/tickets/{open_ticket.code}/")
        search = "/desk/tickets/search/?q="
        domain = client.services.order_by("id").values_list("name", flat=True).first()
        chosen |= {
            "ticket search, admin, a common word": (admin, search + "messaggio"),
            "ticket search, agent, a common word": (agent, search + "messaggio"),
            "ticket search, admin, a rare word": (admin, search + RARE_WORD),
            "ticket search, admin, two words": (admin, search + "messaggio+" + RARE_WORD),
            "ticket search, admin, a client's email": (admin, search + client.owner.email),
        }
        if domain:
            chosen["ticket search, admin, a domain"] = (admin, search + domain)
        if own:
            chosen["ticket search, admin, a code"] = (admin, search + own.code)
        if own:
            chosen["client ticket page"] = (owner, f"/panel/tickets/{own.code}/")
        return chosen

    if args.keep:
        measure("the filled database", pages(), args.runs)
        return
    small = min(5_000, args.tickets)
    start = time.perf_counter()
    fill(1, small, per_ticket, agent_user.pk)
    measure(f"{small:,} tickets", pages(), args.runs)
    for first in range(small + 1, args.tickets + 1, 100_000):
        fill(first, min(first + 99_999, args.tickets), per_ticket, agent_user.pk)
        print(f"  … {min(first + 99_999, args.tickets):,} tickets "
              f"({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
    print(f"filled {Ticket.objects.count():,} tickets and {Message.objects.count():,} messages "
          f"in {time.perf_counter() - start:.0f} s", flush=True)  # fmt: skip
    if args.tickets > small:
        from sportello.helpdesk.models import SlaWeek

        # The weeks the small run recorded are computed again over the filled tickets.
        SlaWeek.objects.all().delete()
        measure(f"{args.tickets:,} tickets, {Client.objects.count():,} clients", pages(),
                args.runs)  # fmt: skip


if __name__ == "__main__":
    main()
