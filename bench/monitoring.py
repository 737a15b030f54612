"""Monitoring at scale: 5,000 endpoints on loopback, each checked every minute by two
worker processes (the `sportello worker` consumers), for a few minutes.

    .venv/bin/python bench/monitoring.py                      # SQLite + SqliteHuey
    .venv/bin/python bench/monitoring.py --redis redis://127.0.0.1:6379/13 \
        --postgres postgresql://postgres@127.0.0.1:5432/sportello_bench_monitoring

Each endpoint has its own loopback address (127.1.x.y): half are TCP ports, half HTTP
addresses answering 200, all served by one asyncio process started here. Reports the checks
per minute, how late each check ran after its due time (lag), whether every endpoint was
checked every minute, and that no check ran twice for one slot.
"""

import argparse
import asyncio
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import benchdb

TCP_PORT, HTTP_PORT = 7000, 8080


def address(n: int) -> str:
    return f"127.1.{n // 250}.{n % 250 + 1}"


def serve(count: int, ready) -> None:
    """Every endpoint's listener, in one event loop."""

    class Tcp(asyncio.Protocol):
        def connection_made(self, transport):
            transport.close()

    class Http(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport = transport

        def data_received(self, data):
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            )
            self.transport.close()

    async def main():
        loop = asyncio.get_running_loop()
        for n in range(count):
            kind, port = (Tcp, TCP_PORT) if n % 2 == 0 else (Http, HTTP_PORT)
            await loop.create_server(kind, address(n), port, backlog=64)
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def setup_env(args, data_dir: Path) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sportello.settings",
        "SPORTELLO_DATA_DIR": str(data_dir),
        "HUEY_WORKERS": str(args.threads),
        "EMAIL_PORT": "1",  # no alert is expected; none may reach a real server
    }
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    if args.postgres:
        base, name = args.postgres.rsplit("/", 1)
        if base != benchdb.POSTGRES:
            sys.exit(f"--postgres: the benchmark databases are on {benchdb.POSTGRES}")
        benchdb.copy_postgres(name)
        env["DATABASE_URL"] = f"{base}/{benchdb.database_name(name)}"
    else:
        env["SQLITE_PATH"] = str(data_dir / "bench.sqlite3")
        benchdb.copy_sqlite(env["SQLITE_PATH"])
    if args.redis:
        env["REDIS_URL"] = args.redis
        env["HUEY_NAME"] = f"bench-monitoring-{os.getpid()}"
    os.environ.update(env)
    return env


def populate(count: int, start) -> None:
    from sportello.accounts.models import Client, User
    from sportello.catalog.models import Price, Product, ProductType
    from sportello.servers.models import Monitor, ServerSettings
    from sportello.services.models import Service

    ServerSettings.objects.update_or_create(
        pk=1, defaults={"monitor_interval_minutes": 1, "monitor_timeout_seconds": 5}
    )
    product = Product.objects.create(
        code="dedicated", name="Server dedicato", type=ProductType.DEDICATED
    )
    Price.objects.create(product=product, amount=1200)
    users = User.objects.bulk_create(
        [User(email=f"bench{n}@example.org", password="!") for n in range(max(1, count // 10))]
    )
    clients = Client.objects.bulk_create([Client(owner=u, name=u.email) for u in users])
    day = start.date()
    servers = Service.objects.bulk_create(
        [
            Service(
                client=clients[n % len(clients)],
                product=product,
                name=f"srv{n}.example.org",
                registered_on=day,
                expires_on=day + timedelta(days=365),
                renewal_policy="tacit",
                price=1200,
                ip_address=address(n),
                operating_system="linux",
            )
            for n in range(count)
        ],
        batch_size=1000,
    )
    # Due times spread over the first minute, as activations spread them.
    Monitor.objects.bulk_create(
        [
            Monitor(
                server=server,
                client_id=server.client_id,
                kind="tcp" if n % 2 == 0 else "http",
                ip_address=server.ip_address,
                port=TCP_PORT if n % 2 == 0 else None,
                url="" if n % 2 == 0 else f"http://{server.ip_address}:{HTTP_PORT}/health",
                expected_status=None if n % 2 == 0 else 200,
                interval_minutes=1,
                next_check_at=start + timedelta(seconds=60 * n / count),
            )
            for n, server in enumerate(servers)
        ],
        batch_size=1000,
    )


def report(start, end, count: int, workers: int, cpu: float) -> None:
    from django.db.models import Count

    from sportello.servers.models import CheckResult, Monitor

    results = CheckResult.objects.filter(at__gte=start, at__lt=end)
    total = results.count()
    minutes = (end - start).total_seconds() / 60
    lags = sorted(results.values_list("lag_ms", flat=True))
    failed = results.filter(ok=False).count()
    per_monitor = results.values("monitor").annotate(n=Count("pk"))
    checks = [row["n"] for row in per_monitor]
    response = [ms for ms in results.values_list("response_ms", flat=True) if ms is not None]
    # Two results of one monitor closer than half an interval would be one slot run twice.
    doubles = 0
    previous = {}
    for monitor_id, at in results.order_by("monitor_id", "at").values_list("monitor_id", "at"):
        if monitor_id in previous and (at - previous[monitor_id]).total_seconds() < 30:
            doubles += 1
        previous[monitor_id] = at

    def pct(values, p):
        return values[min(len(values) - 1, int(len(values) * p))] if values else 0

    print(
        f"endpoints            {count} ({Monitor.objects.filter(kind='tcp').count()} TCP, "
        f"{Monitor.objects.filter(kind='http').count()} HTTP), every minute"
    )
    print(f"workers              {workers} processes")
    print(f"measured             {minutes:.1f} min")
    print(
        f"checks               {total} ({total / minutes:.0f} per minute, "
        f"{total / minutes / 60:.1f}/s)"
    )
    print(f"failed checks        {failed}")
    print(
        f"checks per endpoint  min {min(checks, default=0)}, max {max(checks, default=0)}, "
        f"endpoints never checked {count - len(checks)}"
    )
    print(
        f"lag ms               p50 {pct(lags, 0.5)}, p95 {pct(lags, 0.95)}, p99 {pct(lags, 0.99)}, "
        f"max {lags[-1] if lags else 0}"
    )
    print(
        f"response ms          median {statistics.median(response) if response else 0}, "
        f"p95 {pct(sorted(response), 0.95)}"
    )
    print(f"same slot run twice  {doubles}")
    print(f"worker CPU           {cpu:.1f} s ({cpu / (minutes * 60) * 100:.0f}% of one core)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoints", type=int, default=5000)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker")
    parser.add_argument("--postgres", help="database URL (default: SQLite)")
    parser.add_argument("--redis", help="Redis URL (default: SqliteHuey)")
    parser.add_argument("--warmup", type=float, default=60, help="seconds before measuring")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-monitoring-"))
    env = setup_env(args, data_dir)

    ready = multiprocessing.Event()
    listeners = multiprocessing.Process(target=serve, args=(args.endpoints, ready), daemon=True)
    listeners.start()
    if not ready.wait(60):
        sys.exit("the loopback listeners did not start")

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    begin = timezone.now() + timedelta(seconds=min(5, args.warmup))
    populate(args.endpoints, begin)
    print(f"{args.endpoints} endpoints listening and registered; starting {args.workers} workers")

    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "sportello.cli", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(data_dir / f"worker{n}.log", "w"),
        )
        for n in range(args.workers)
    ]
    # The first minute is warm-up (workers start, first dispatch); measure whole minutes after.
    start = begin + timedelta(seconds=args.warmup)
    end = start + timedelta(minutes=args.minutes)
    time.sleep(max(0, (end - timezone.now()).total_seconds()) + min(15, args.warmup))
    cpu = 0.0
    for worker in workers:
        worker.send_signal(signal.SIGINT)
    for worker in workers:
        _pid, _status, usage = os.wait4(worker.pid, 0)
        cpu += usage.ru_utime + usage.ru_stime
    listeners.terminate()
    report(start, end, args.endpoints, args.workers, cpu)
    print(f"logs and database in {data_dir}")


if __name__ == "__main__":
    main()
