"""Two web nodes and two workers share the work without doubling it (OPS-4), on PostgreSQL and
Redis, with real processes:

    .venv/bin/python bench/scaleout.py                      # 2 web nodes, 2 workers, 40 s
    .venv/bin/python bench/scaleout.py --webs 1 --workers 1 # the same load on one of each
    .venv/bin/python bench/scaleout.py --seconds 15 --json  # what the slow test runs

nginx (Debian's) terminates TLS with deploy/nginx/sportello.conf, its upstream pointed at
gunicorn on 127.0.0.2 and 127.0.0.3; two `sportello worker` processes, both running the
scheduler (each minute's periodic tasks are claimed once); the SMTP gateway; an SMTP sink for
outgoing mail here. locust (headless) signs demo clients in and has them browse the panel,
open tickets and report payments, one agent answer tickets and an MTA relay mail to the
gateway. Meanwhile the daily run is started on both worker nodes at once, and one web node
and one worker are killed with SIGKILL and started again.

Afterwards: invoice numbers without gaps, every ticket, payment report, reply and accepted
mail stored once (those whose answer was lost at most once), every queued email sent once,
the day's run done once, every page signed in on whichever node served it, and the login
throttle counted across nodes. Exit 1 naming what failed.
"""

import argparse
import asyncio
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB = "sportello_scaleout"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/11"
NODES = ["127.0.0.2", "127.0.0.3"]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(host: str, port: int, timeout: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port}")


class Sink:
    """The outgoing relay: every Message-ID the workers deliver, with how often."""

    def __init__(self):
        self.ids = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        found = re.search(rb"^Message-ID:\s*(\S+)", envelope.content, re.M | re.I)
        with self.lock:
            self.ids[found.group(1).decode() if found else "?"] += 1
        return "250 OK"


def certificate(workdir: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    crt, pem = workdir / "tls.crt", workdir / "tls.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return crt, pem


def nginx_config(workdir: Path, port: int, web_port: int, webs: int) -> Path:
    """deploy/nginx/sportello.conf as installed, with this run's nodes, port and paths; the
    answering node is named in X-Upstream so the load can tell which node served it."""
    site = (ROOT / "deploy" / "nginx" / "sportello.conf").read_text()
    crt, key = certificate(workdir)
    servers = "".join(
        f"    server {node}:{web_port} max_fails=1 fail_timeout=5s;\n" for node in NODES[:webs]
    )
    site = re.sub(r"    server 127\.0\.0\.1:8000[^\n]*\n", servers, site)
    # Only the HTTPS server: the port-80 redirect needs root and is not what is measured.
    site = re.sub(r"server \{\n    listen 80;.*?\n\}\n", "", site, flags=re.S)
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl;")
    site = site.replace("listen [::]:443 ssl http2;\n", "")
    site = re.sub(r"ssl_certificate \S+;", f"ssl_certificate {crt};", site)
    site = re.sub(r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};", site)
    site = site.replace("/srv/sportello/var/static/", f"{workdir}/static/")
    site = site.replace(
        "proxy_pass http://sportello_web;",
        "proxy_pass http://sportello_web;\n        add_header X-Upstream $upstream_addr always;",
    )
    (workdir / "sportello.conf").write_text(site)
    temp = workdir / "nginx"
    temp.mkdir(exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(f"""
daemon off;
worker_processes 1;
pid {temp}/nginx.pid;
error_log {temp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include /etc/nginx/mime.types;
    include {workdir}/sportello.conf;
}}
""")
    return conf


def setup(workdir: Path, sink_port: int, lb_port: int) -> None:
    import psycopg
    import redis

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DB}")
        connection.execute(f"CREATE DATABASE {DB}")
    redis.Redis.from_url(REDIS).flushdb()
    for name in ("HUEY_IMMEDIATE", "TESTING", "SQLITE_PATH", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="sportello.settings",
        DATABASE_URL=f"{POSTGRES}/{DB}",
        REDIS_URL=REDIS,
        HUEY_NAME="scaleout",
        SPORTELLO_DATA_DIR=str(workdir),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(sink_port),
        HTTPS="1",
        TRUSTED_PROXIES="127.0.0.1",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"https://127.0.0.1:{lb_port}",
        CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{lb_port}",
        LOG_LEVEL="WARNING",
    )


def prepare() -> dict:
    """Schema, the demo provider (while static files are collected in another process), and
    the gateway's trusted MTA. What numbering and the daily run start from."""
    log = open(os.environ["SPORTELLO_DATA_DIR"] + "/collectstatic.log", "w")
    static = subprocess.Popen(
        [sys.executable, "-m", "sportello.cli", "collectstatic", "--noinput", "-v", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from sportello.billing.models import Invoice
    from sportello.demo.data import seed_demo
    from sportello.mail.models import MailSettings

    call_command("migrate", verbosity=0)
    seed_demo(timezone.localdate())
    config = MailSettings.current()
    config.trusted_authserv_id = "mx.sportello.example"
    config.save()
    if static.wait() != 0:
        raise RuntimeError("collectstatic failed: see collectstatic.log")
    from django.db import connections

    invoices = Invoice.objects.count()
    connections.close_all()
    return {"invoices": invoices}


class Cluster:
    def __init__(self, workdir: Path, webs: int, workers: int, web_port: int, gateway: int):
        self.workdir, self.webs, self.workers = workdir, webs, workers
        self.web_port, self.gateway = web_port, gateway
        self.log = open(workdir / "processes.log", "ab")
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> None:
        if name.startswith("web"):
            node = NODES[int(name[3:])]
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "sportello.wsgi",
                "--bind",
                f"{node}:{self.web_port}",
                "--workers",
                "2",
                "--no-control-socket",
                "--graceful-timeout",
                "5",
            ]
        elif name.startswith("worker"):
            command = [sys.executable, "-m", "sportello.cli", "worker", "-v", "0"]
        else:
            command = [sys.executable, "-m", "sportello.cli", "smtpd", "--port", str(self.gateway)]
        # A session of its own: SIGKILL reaches gunicorn's master and its workers at once,
        # as when a machine is lost.
        self.processes[name] = subprocess.Popen(
            command, stdout=self.log, stderr=self.log, start_new_session=True
        )

    def kill(self, name: str) -> None:
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def up(self) -> None:
        for n in range(self.webs):
            self.start(f"web{n}")
        for n in range(self.workers):
            self.start(f"worker{n}")
        self.start("gateway")
        for n in range(self.webs):
            wait_listening(NODES[n], self.web_port)
        wait_listening("127.0.0.1", self.gateway)

    def down(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def daily_run_on_both(workers: int, log) -> list[subprocess.Popen]:
    """The day's run started on every worker node at the same moment (a cron line on each)."""
    command = [sys.executable, "-m", "sportello.cli", "runjobs", "--json"]
    return [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
        for _n in range(max(workers, 2))
    ]


def throttle_across_nodes(base: str) -> dict:
    """Wrong passwords through whichever nodes nginx picks, until an attempt is asked to
    wait: only failures counted in one shared cache add up to a wait. The waits double
    from 2 s after the third failure, so on a busy machine, where an attempt can take
    longer than the first wait, a later attempt still meets one."""
    import requests
    import urllib3

    urllib3.disable_warnings()
    nodes, waited, attempts = set(), False, 0
    while not waited and attempts < 8:
        attempts += 1
        session = requests.Session()
        # Not the environment's CA bundle: the bench's certificate is self-signed.
        session.trust_env = False
        session.verify = False
        session.headers["Accept-Language"] = "en"  # the wait is read in English below
        page = session.get(f"{base}/accounts/login/")
        nodes.add(page.headers.get("X-Upstream"))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = session.post(
            f"{base}/accounts/login/",
            {"csrfmiddlewaretoken": token, "password": "wrong-password",
             "login": "paola.verdi@example.it"},
            headers={"Referer": f"{base}/accounts/login/"},
        )  # fmt: skip
        nodes.add(answer.headers.get("X-Upstream"))
        waited = "Too many failed sign-ins" in answer.text or "try again in" in answer.text
    return {
        "nodes": sorted(n for n in nodes if n),
        "attempts": attempts,
        "an attempt waited": waited,
    }


def settle(timeout: float = 90.0) -> int:
    """Until the workers have delivered every queued email and processed every message.

    An email a worker had claimed when it was killed stays `sending`: the minute's sweep
    (mail.jobs.send_due_emails) queues it again once it is STALE_SENDING old, so it is not
    sent twice while a live worker may still be sending it. Those left unchanged for ten
    seconds with nothing else to do are handed to that sweep as it will run then; how many,
    is returned."""
    from django.utils import timezone

    from sportello.mail.jobs import send_due_emails
    from sportello.mail.models import InboundMessage, OutboundEmail
    from sportello.mail.sender import STALE_SENDING

    deadline = time.monotonic() + timeout
    stuck: set[int] = set()
    stuck_since = time.monotonic()
    recovered = 0
    while time.monotonic() < deadline:
        queued = OutboundEmail.objects.filter(status="queued").count()
        sending = set(OutboundEmail.objects.filter(status="sending").values_list("pk", flat=True))
        waiting = InboundMessage.objects.filter(status="received").count()
        if not queued and not waiting:
            if not sending:
                return recovered
            if sending != stuck:
                stuck, stuck_since = sending, time.monotonic()
            elif time.monotonic() - stuck_since >= 10:
                later = timezone.now() + STALE_SENDING + timedelta(seconds=1)
                recovered += send_due_emails(later)["recovered"]
        time.sleep(0.5)
    raise RuntimeError(f"not settled in {timeout:.0f} s: {queued} emails queued, "
                       f"{len(sending)} sending, {waiting} messages")  # fmt: skip


def verify(notes: list[dict], sink: Sink, before: dict, runs: list[dict]) -> dict:
    from django.db.models import Count, Max, Min

    from sportello.automation.models import JobRun
    from sportello.billing.models import Invoice, PaymentReport
    from sportello.helpdesk.models import Message, Ticket
    from sportello.mail.models import InboundMessage, OutboundEmail

    problems = []

    def once(kind: str, count) -> dict:
        sure = [n for n in notes if n["kind"] == kind and n["sure"]]
        unsure = [n for n in notes if n["kind"] == kind and not n["sure"]]
        wrong = [n for n in sure if count(n) != 1] + [n for n in unsure if count(n) > 1]
        if wrong:
            problems.append(f"{kind}: {len(wrong)} stored other than once, e.g. {wrong[0]}")
        return {"confirmed": len(sure), "answer lost": len(unsure), "not once": len(wrong)}

    result = {
        "tickets": once("ticket", lambda n: Ticket.objects.filter(subject=n["subject"]).count()),
        "payment reports": once(
            "payment", lambda n: PaymentReport.objects.filter(receipt_number=n["receipt"]).count()
        ),
        "staff replies": once(
            "reply", lambda n: Message.objects.filter(body__contains=n["mark"]).count()
        ),
        "inbound mail": once(
            "mail",
            lambda n: InboundMessage.objects.filter(dedup_key__contains=n["message_id"]).count(),
        ),
    }
    gaps = []
    numbered = Invoice.objects.exclude(number=None).values("series", "year")
    for row in numbered.annotate(low=Min("number"), high=Max("number"), n=Count("id")):
        if row["high"] - row["low"] + 1 != row["n"] or row["low"] != 1:
            gaps.append(row)
    if gaps:
        problems.append(f"invoice numbers with gaps: {gaps}")
    result["invoice series"] = numbered.distinct().count()
    sent = OutboundEmail.objects.filter(status="sent")
    twice = {mid: n for mid, n in sink.ids.items() if n > 1}
    unsent = OutboundEmail.objects.exclude(status="sent").count()
    if twice or unsent:
        problems.append(f"emails: {len(twice)} delivered twice, {unsent} not sent")
    result["emails"] = {
        "sent": sent.count(),
        "delivered": sum(sink.ids.values()),
        "twice": len(twice),
    }
    # The day's run: both nodes' runs together created what one run would.
    made = sum(
        r.get("jobs", {}).get("renewal_invoices", {}).get("counts", {}).get("invoices", 0)
        for r in runs
    )
    new_invoices = Invoice.objects.count() - before["invoices"]
    both = [
        sum(1 for c in r.get("jobs", {}).values() if any(c.get("counts", {}).values()))
        for r in runs
    ]
    if made != new_invoices:
        problems.append(f"daily run: {made} invoices reported, {new_invoices} created")
    result["daily run"] = {
        "runs": len(runs),
        "jobs with work per run": both,
        "renewal invoices": new_invoices,
        "job runs recorded": JobRun.objects.filter(dry_run=False).count(),
    }
    nodes = Counter(n["node"] for n in notes if n["kind"] == "node")
    signed_out = sum(1 for n in notes if n["kind"] == "node" and not n["signed_in"])
    if signed_out:
        problems.append(f"sessions: {signed_out} pages signed out on another node")
    result["pages by node"] = dict(nodes)
    result["problems"] = problems
    return result


def locust_stats(path: Path) -> list[dict]:
    rows = []
    with open(path) as stats:
        for row in csv.DictReader(stats):
            rows.append(
                {
                    "action": row["Name"],
                    "requests": int(row["Request Count"]),
                    "failures": int(row["Failure Count"]),
                    "median ms": row["50%"],
                    "p95 ms": row["95%"],
                    "per s": round(float(row["Requests/s"]), 1),
                }
            )
    return rows


def locust_command() -> list[str]:
    """locust from the test lock (requirements-test.lock), or LOCUST naming another one."""
    if os.environ.get("LOCUST"):
        return [os.environ["LOCUST"]]
    return [sys.executable, "-m", "locust"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--webs", type=int, default=2, choices=[1, 2])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--no-kill", action="store_true", help="no SIGKILL during the load")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if not shutil.which("nginx"):
        print("nginx is not installed (apt-get install nginx-light)", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="sportello-scaleout-"))
    workdir.chmod(0o700)
    lb_port, web_port, gateway, sink_port = (free_port() for _ in range(4))
    setup(workdir, sink_port, lb_port)
    started = time.monotonic()
    before = prepare()
    prepared = time.monotonic() - started

    from aiosmtpd.controller import Controller

    sink = Sink()
    relay = Controller(sink, hostname="127.0.0.1", port=sink_port)
    relay.start()
    cluster = Cluster(workdir, args.webs, args.workers, web_port, gateway)
    nginx = None
    runs: list[dict] = []
    try:
        cluster.up()
        conf = nginx_config(workdir, lb_port, web_port, args.webs)
        nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(workdir)], stderr=cluster.log)
        wait_listening("127.0.0.1", lb_port)
        base = f"https://127.0.0.1:{lb_port}"
        notes_file = workdir / "notes.jsonl"
        load_avg_start = os.getloadavg()
        load = subprocess.Popen(
            [
                *locust_command(),
                "-f",
                str(ROOT / "bench" / "scaleout_locust.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.users),
                "--run-time",
                f"{args.seconds}s",
                "--host",
                base,
                "--csv",
                str(workdir / "load"),
                "--only-summary",
                "--loglevel",
                "ERROR",
                "--stop-timeout",
                "5",
            ],
            env={
                **os.environ,
                "SCALEOUT_LOG": str(notes_file),
                "SCALEOUT_GATEWAY_PORT": str(gateway),
            },
            stdout=cluster.log,
            stderr=cluster.log,
        )
        time.sleep(args.seconds / 4)
        daily = daily_run_on_both(args.workers, cluster.log)
        time.sleep(args.seconds / 4)
        killed = []
        if not args.no_kill:
            victims = [f"web{args.webs - 1}", f"worker{args.workers - 1}"]
            for name in victims:
                cluster.kill(name)
            killed = victims
            time.sleep(2)
            for name in victims:
                cluster.start(name)
        for process in daily:
            out, _ = process.communicate(timeout=300)
            runs.append(json.loads(out or b"{}"))
        load.wait(timeout=args.seconds + 120)
        load_avg_end = os.getloadavg()
        throttle = throttle_across_nodes(base)
        settle()
        notes = [json.loads(line) for line in notes_file.read_text().splitlines()]
        result = verify(notes, sink, before, runs)
        if args.webs > 1 and len(throttle["nodes"]) < 2:
            result["problems"].append(f"throttle: only {throttle['nodes']} answered")
        if not throttle["an attempt waited"]:
            result["problems"].append("throttle: failures on one node not counted on another")
        result.update(
            webs=args.webs,
            workers=args.workers,
            users=args.users,
            seconds=args.seconds,
            killed=killed,
            throttle=throttle,
            prepared_s=round(prepared, 1),
            load_average=[round(load_avg_start[0], 2), round(load_avg_end[0], 2)],
            cores=os.cpu_count(),
            actions=locust_stats(workdir / "load_stats.csv"),
        )
    finally:
        if nginx and nginx.poll() is None:
            nginx.terminate()
            nginx.wait(timeout=10)
        cluster.down()
        relay.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(result, default=str))
    else:
        print(json.dumps(result, indent=2, default=str))
    for problem in result["problems"]:
        print(problem, file=sys.stderr)
    return 1 if result["problems"] else 0


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    sys.exit(main())
