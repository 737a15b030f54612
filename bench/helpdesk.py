"""Time the staff queue and the client's ticket list with many tickets (PostgreSQL).

    .venv/bin/python bench/helpdesk.py          # 1,000,000 tickets, 10,000,000 messages
    .venv/bin/python bench/helpdesk.py --tickets 100000 --messages 1000000
    .venv/bin/python bench/helpdesk.py --keep     # measure again on the filled database

Tickets and messages are written with set-based SQL (generate_series); 2% of the tickets
are open, the rest closed, spread over 20,000 clients and both departments. Each page is
requested through Django's test client (server time, no network) first with a few
thousand tickets, then with the full volume: the query count must not change.
"""

import argparse
import statistics
import time

from benchdb import use_database

DB = "sportello_bench_helpdesk"


def fill(first: int, last: int, messages_per_ticket: int):
    """Tickets first..last (codes BEN-0000001…) and their messages, in plain SQL."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO helpdesk_ticket (code, client_id, opened_by_id, department_id,
                category_id, subject, details, status, priority, channel, round_the_clock,
                created_at, last_activity_at, first_response_due, resolution_due,
                first_responded_at, closed_at)
            SELECT 'BEN-' || lpad(g::text, 7, '0'),
                   c.id, c.owner_id, cat.department_id, cat.id,
                   'Richiesta numero ' || g, '{}'::jsonb,
                   CASE WHEN g %% 50 = 0 THEN 'open' ELSE 'closed' END,
                   CASE WHEN g %% 3 = 0 THEN 'low' ELSE 'normal' END, 'panel', false,
                   now() - (g %% 1000) * interval '1 hour',
                   now() - (g %% 1000) * interval '1 hour',
                   now() - (g %% 1000) * interval '1 hour' + interval '4 hours',
                   now() - (g %% 1000) * interval '1 hour' + interval '24 hours',
                   now() - (g %% 1000) * interval '1 hour' + interval '1 hour',
                   CASE WHEN g %% 50 = 0 THEN NULL ELSE now() END
            FROM generate_series(%s, %s) AS g
            JOIN (SELECT id, owner_id, row_number() OVER (ORDER BY id) - 1 AS n
                  FROM accounts_client) c ON c.n = g %% (SELECT count(*) FROM accounts_client)
            JOIN (SELECT id, department_id, row_number() OVER (ORDER BY id) - 1 AS n
                  FROM helpdesk_category) cat
              ON cat.n = g %% (SELECT count(*) FROM helpdesk_category)
            """,
            [first, last],
        )
        cursor.execute(
            """
            INSERT INTO helpdesk_message (ticket_id, kind, author_id, body, event, event_data,
                                          created_at)
            SELECT t.id, CASE WHEN m %% 2 = 0 THEN 'client' ELSE 'staff' END, NULL,
                   'Messaggio ' || m || ' del ticket ' || t.code, '', '{}'::jsonb,
                   t.created_at + m * interval '10 minutes'
            FROM helpdesk_ticket t CROSS JOIN generate_series(1, %s) AS m
            WHERE t.code BETWEEN %s AND %s
            """,
            [messages_per_ticket, f"BEN-{first:07d}", f"BEN-{last:07d}"],
        )
        cursor.execute("ANALYZE helpdesk_message")


def measure(label, pages, repeat=40):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with connection.cursor() as cursor:  # as autovacuum would have, given time
        cursor.execute("VACUUM ANALYZE helpdesk_ticket")

    print(f"\n{label}")
    print("| page | median ms | p95 ms | SQL queries |\n|---|---:|---:|---:|")
    for name, (browser, url) in pages.items():
        browser.get(url)  # warm up
        timings = []
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = browser.get(url)
                timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        print(f"| {name} | {statistics.median(timings):.1f} | {p95:.1f} | {len(queries)} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--keep", action="store_true", help="measure the filled database")
    args = parser.parse_args()
    use_database(DB, keep=args.keep)

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.test import Client as Browser
    from django.utils import timezone

    from sportello.accounts.models import Client, User
    from sportello.demo.data import seed_demo, seed_volume

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    if not args.keep:
        seed_demo(timezone.localdate())
        seed_volume(20_000, timezone.localdate(), make_password("x"), batch=5000)
    per_ticket = max(1, args.messages // args.tickets)

    agent = Browser()
    agent.force_login(User.objects.get(email="agent@sportello.example"))
    admin = Browser()
    admin.force_login(User.objects.get(email="admin@sportello.example"))
    client = Client.objects.get(owner__email="client000042@volume.example")
    owner = Browser()
    owner.force_login(client.owner)
    pages = {
        "staff queue, agent (Helpdesk)": (agent, "/desk/tickets/"),
        "staff queue, admin, late only": (admin, "/desk/tickets/?due=late"),
        "staff queue, page 20": (admin, "/desk/tickets/?page=20"),
        "client ticket list (open)": (owner, "/panel/tickets/"),
        "client ticket list (closed)": (owner, "/panel/tickets/?show=closed"),
    }
    if args.keep:
        measure("the filled database", pages)
        return
    small = 5_000
    start = time.perf_counter()
    fill(1, small, per_ticket)
    measure(f"{small:,} tickets", pages)
    for first in range(small + 1, args.tickets + 1, 100_000):
        fill(first, min(first + 99_999, args.tickets), per_ticket)
        print(f"  … {min(first + 99_999, args.tickets):,} tickets "
              f"({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
    from sportello.helpdesk.models import Message, Ticket

    print(f"filled {Ticket.objects.count():,} tickets and {Message.objects.count():,} messages "
          f"in {time.perf_counter() - start:.0f} s")  # fmt: skip
    measure(f"{args.tickets:,} tickets", pages)


if __name__ == "__main__":
    main()
