"""Help-desk mail end to end on PostgreSQL: DKIM-signed messages sent over SMTP to
`sportello smtpd`, processed by `sportello worker` processes through Redis.

    .venv/bin/python bench/mail.py                     # 10,000 messages, 2 workers
    .venv/bin/python bench/mail.py --messages 2000 --senders 4
    .venv/bin/python bench/mail.py --workers 0         # the gateway alone: acceptance only
    .venv/bin/python bench/mail.py --loss              # 2,000 messages, gateway killed at random
    .venv/bin/python bench/mail.py --cost              # 2,000 messages, CPU cost, one process

A fresh database (sportello_bench_mail) gets clients on a few sender domains, two agents and
a few hundred open tickets. The domains' DKIM keys and DMARC policies are published to the
workers through MAIL_DNS_FILE (no network): every message's signature is verified by the
app. About 70% of the messages open a ticket, 30% reply to an open ticket by its code in
the subject. Outgoing mail (acknowledgements, staff alerts) goes to an SMTP sink in this
process.

Measured: the SMTP acceptance rate (every `250` means committed), the end-to-end rate
until no message is left `received`, then until every email they caused is delivered
(the whole machine's CPU to each point), the outcome counts, and the CPU seconds of each
process (gateway, workers, PostgreSQL backends, this process) over the run.

--cost: no gateway and no workers: the messages are stored and processed one after the
other in this process, then the emails they queued are delivered to the sink, to measure
the CPU time and the queries each step costs on its own.

--loss: a client that retries on connection errors and 4xx answers sends distinct
messages while the gateway is killed with SIGKILL at random moments and restarted; at
the end every Message-ID acknowledged with `250` must be stored exactly once.
"""

import argparse
import json
import os
import random
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from multiprocessing import get_context
from pathlib import Path

import benchdb

DB = "sportello_bench_mail"
REDIS = "redis://127.0.0.1:6379/10"
RECIPIENT = "hd@sportello.example"
DOMAINS = [f"cliente{n}.example" for n in range(5)]
ROOT = Path(__file__).resolve().parent.parent
LOG = ROOT / "var" / "bench-mail-processes.log"  # what the gateway and workers printed
SUBJECTS = [
    "Sito {n} lento da stamattina",
    "Posta ferma sulla casella info del dominio {n}",
    "Certificato SSL scaduto su shop{n}.it",
    "Errore 500 dopo l'aggiornamento del plugin ({n})",
    "Backup della notte non riuscito, server {n}",
    "Rinnovo del dominio esempio{n}.it",
]
BODY = (
    "Buongiorno,\n\nda questa mattina il sito risponde in più di venti secondi e i clienti "
    "ci segnalano errori nel carrello. Non abbiamo cambiato nulla. Potete verificare?\n\n"
    "Grazie,\n{name}\n"
)
REPLY = (
    "Ho provato a svuotare la cache come suggerito ma il problema resta ({n}).\n\n"
    "Il giorno lun 2 feb 2026 alle 10:12 Sportello <hd@sportello.example> ha scritto:\n"
    "> Buongiorno, può provare a svuotare la cache del plugin?\n> Grazie\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class Sink:
    """The outgoing relay: counts what the workers deliver."""

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def setup_env(workdir: Path, sink_port: int) -> None:
    import redis

    benchdb.copy_postgres(DB)
    redis.Redis.from_url(REDIS).flushdb()
    os.environ.update(
        DATABASE_URL=f"{benchdb.POSTGRES}/{benchdb.database_name(DB)}",
        REDIS_URL=REDIS,
        HUEY_NAME="bench-mail",
        MAIL_DNS_FILE=str(workdir / "dns.json"),
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(sink_port),
        DJANGO_SETTINGS_MODULE="sportello.settings",
        SPORTELLO_DATA_DIR=str(workdir),
    )
    os.environ.pop("HUEY_IMMEDIATE", None)


def seed(clients: int, tickets: int) -> list[tuple[str, str, str]]:
    """Clients, agents, open tickets; DKIM keys published. Returns (owner, code, subject)
    of the open tickets replies go to."""
    from django.core.management import call_command
    from django.utils import timezone

    from sportello.accounts.models import Client, User
    from sportello.helpdesk.actions import open_ticket
    from sportello.helpdesk.models import Department, Ticket
    from sportello.mail.tests.mailmaker import key_pair

    call_command("migrate", verbosity=0)
    users = [User(email=f"utente{n}@{DOMAINS[n % len(DOMAINS)]}", language="it")
             for n in range(clients)]  # fmt: skip
    for user in users:
        user.set_unusable_password()
    users = User.objects.bulk_create(users)
    Client.objects.bulk_create(Client(owner=u, name=f"Cliente {n}") for n, u in enumerate(users))
    department = Department.objects.get(email=RECIPIENT)
    for n in range(2):
        agent = User.objects.create_user(f"agente{n}@sportello.example", role=User.Role.AGENT)
        agent.departments.add(department)
    records = {}
    for domain in DOMAINS:
        records[f"mail._domainkey.{domain}"] = [key_pair(domain)[1]]
        records[f"_dmarc.{domain}"] = ["v=DMARC1; p=reject"]
    Path(os.environ["MAIL_DNS_FILE"]).write_text(json.dumps(records))
    owners = list(Client.objects.select_related("owner").order_by("pk"))
    category = department.email_category
    opened = []
    for n in range(tickets):
        client = owners[n % len(owners)]
        ticket = open_ticket(client, category=category, subject=SUBJECTS[n % 6].format(n=n),
                             body="Primo messaggio.", now=timezone.now(),
                             channel=Ticket.Channel.EMAIL, acknowledge=False)  # fmt: skip
        opened.append((client.owner.email, ticket.code, ticket.subject))
    return opened


def _sign(spec) -> bytes:
    from sportello.mail.tests.mailmaker import build, signed

    sender, subject, body, message_id = spec
    return signed(build(sender, RECIPIENT, subject, body, message_id=message_id))


def corpus(count: int, clients: int, opened, replies: float, seed_value: int, tag: str):
    """(sender, Message-ID, raw) DKIM-signed, about `replies` of them replies by code."""
    from django.db import connections

    rng = random.Random(seed_value)
    specs = []
    for n in range(count):
        message_id = f"<{tag}.{n}.{rng.getrandbits(48):x}@{DOMAINS[n % len(DOMAINS)]}>"
        if rng.random() < replies:
            owner, code, subject = rng.choice(opened)
            specs.append((owner, f"Re: [{code}] {subject}", REPLY.format(n=n), message_id))
        else:
            k = rng.randrange(clients)
            sender = f"utente{k}@{DOMAINS[k % len(DOMAINS)]}"
            subject = SUBJECTS[n % 6].format(n=f"{tag}-{n}")
            specs.append((sender, subject, BODY.format(name=f"Cliente {k}"), message_id))
    connections.close_all()  # the signing processes are forked: no shared connection
    with get_context("fork").Pool(os.cpu_count()) as pool:
        raws = pool.map(_sign, specs, chunksize=50)
    return [(spec[0], spec[3], raw) for spec, raw in zip(specs, raws, strict=True)]


def start(args: list[str], log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sportello.cli", *args], env=os.environ.copy(),
                            stdout=log, stderr=subprocess.STDOUT)  # fmt: skip


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# The last CPU figure seen of every PostgreSQL process: a backend whose connection was
# closed during the run (connections are renewed every minute) takes its figure with it.
_postgres_seen: dict[int, float] = {}


def postgres_cpu() -> dict[int, float]:
    """Every PostgreSQL process, backends opened during the run included, and those that
    ended since they were last seen (the waits below look every 0.2 s)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().split(" (", 1)[1].startswith("postgres)"):
                pid = int(stat.parent.name)
                _postgres_seen[pid] = max(_postgres_seen.get(pid, 0.0), cpu_seconds(pid))
        except (FileNotFoundError, IndexError, ProcessLookupError):
            continue
    return dict(_postgres_seen)


def machine_busy() -> float:
    """CPU seconds the whole machine spent not idle (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def status_counts() -> Counter:
    from django.db.models import Count

    from sportello.mail.models import InboundMessage

    rows = InboundMessage.objects.values_list("status").annotate(n=Count("id"))
    return Counter(dict(rows))


def wait_processed(total: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = status_counts()
        if sum(counts.values()) >= total and counts.get("received", 0) == 0:
            return time.perf_counter()
        postgres_cpu()
        time.sleep(0.2)
    raise RuntimeError(f"not processed in {timeout:.0f} s: {dict(status_counts())}")


def wait_delivered(timeout: float) -> float:
    """Until every email the run queued (acknowledgements, staff alerts) has been sent."""
    from sportello.mail.models import OutboundEmail

    pending = OutboundEmail.objects.filter(status__in=["queued", "sending"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pending.exists():
            return time.perf_counter()
        postgres_cpu()
        time.sleep(0.2)
    raise RuntimeError(f"not delivered in {timeout:.0f} s: {pending.count()} emails left")


def send_all(port: int, messages, senders: int) -> list[str]:
    """Each sender thread keeps one SMTP connection, as a relaying MTA does."""
    refused = []

    def sender(share):
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for mail_from, message_id, raw in share:
                try:
                    smtp.sendmail(mail_from, [RECIPIENT], raw)
                except smtplib.SMTPException as error:
                    refused.append(f"{message_id}: {error}")

    threads = [threading.Thread(target=sender, args=(messages[n::senders],))
               for n in range(senders)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return refused


def check_no_duplicates() -> dict:
    """No message stored twice, no message turned into two ticket messages."""
    from django.db.models import Count

    from sportello.helpdesk.models import Message
    from sportello.mail.models import InboundMessage

    twice = InboundMessage.objects.values("dedup_key").annotate(n=Count("id")).filter(n__gt=1)
    posted = (Message.objects.exclude(source=None).values("source")
              .annotate(n=Count("id")).filter(n__gt=1))  # fmt: skip
    return {"stored twice": twice.count(), "posted twice": posted.count()}


def run_throughput(args, workdir: Path, sink) -> None:
    import django

    django.setup()
    from sportello.mail.models import OutboundEmail

    t = time.perf_counter()
    opened = seed(args.clients, args.tickets)
    print(f"seeded {args.clients} clients, {len(opened)} open tickets in "
          f"{time.perf_counter() - t:.1f} s")  # fmt: skip
    t = time.perf_counter()
    messages = corpus(args.messages, args.clients, opened, 0.3, args.seed, "bench")
    print(f"signed {len(messages)} messages in {time.perf_counter() - t:.1f} s")
    with open(LOG, "ab") as log:
        port = free_port()
        gateway = start(["smtpd", "--port", str(port)], log)
        workers = [start(["worker"], log) for _ in range(args.workers)]
        try:
            wait_listening(port)
            time.sleep(3)  # the workers finish starting and drain the seed's alerts
            sink_before = sink.count
            processes = {"gateway": [gateway.pid], "workers": [w.pid for w in workers]}
            cpu0 = {k: sum(map(cpu_seconds, pids)) for k, pids in processes.items()}
            pg0, own0, load0 = postgres_cpu(), time.process_time(), os.getloadavg()
            busy0 = machine_busy()
            t0 = time.perf_counter()
            refused = send_all(port, messages, args.senders)
            t_sent = time.perf_counter()
            # Without workers only the gateway is measured: what it accepts alone.
            t_done = wait_processed(len(messages), 3600) if workers else time.perf_counter()
            cpu = {k: sum(map(cpu_seconds, pids)) - cpu0[k] for k, pids in processes.items()}
            pg1 = postgres_cpu()
            cpu["postgres"] = sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items())
            cpu["bench (senders)"] = time.process_time() - own0
            busy = machine_busy() - busy0
            load1 = os.getloadavg()
            counts = status_counts()
            outbox_at_done = OutboundEmail.objects.filter(status="sent").count()
            delivered_at_done = sink.count - sink_before
            # Then the outgoing mail the messages caused, which the workers send after.
            t_mailed = wait_delivered(3600) if workers else t_done
            busy_mailed = machine_busy() - busy0
            cpu_mailed = {k: sum(map(cpu_seconds, pids)) - cpu0[k] for k, pids in processes.items()}
            cpu_mailed["postgres"] = sum(v - pg0.get(pid, 0.0) for pid, v in postgres_cpu().items())
            cpu_mailed["bench (senders, relay)"] = time.process_time() - own0
            emails = sink.count - sink_before
        finally:
            for process in (gateway, *workers):
                process.send_signal(signal.SIGTERM)
            for process in (gateway, *workers):
                process.wait()
    n, sent, done = len(messages), t_sent - t0, t_done - t0
    print(f"\n{n} messages, {args.senders} sender threads, "
          f"{args.workers} worker processes × {args.threads} threads")  # fmt: skip
    print(f"SMTP acceptance: {sent:.1f} s, {n / sent:.0f} messages/s; refused {len(refused)}")
    if args.workers:
        print(f"end to end:      {done:.1f} s, {n / done:.0f} messages/s")
    print("outcomes:", dict(counts))
    print(f"outgoing mail delivered to the sink during the run: {delivered_at_done} "
          f"(outbox rows sent: {outbox_at_done})")  # fmt: skip
    print("CPU seconds:", {k: round(v, 1) for k, v in cpu.items()}, f"over {done:.1f} s wall")
    print(f"whole machine busy: {busy:.1f} CPU seconds of {done * os.cpu_count():.1f} "
          f"({busy / n * 1000:.1f} ms per message)")  # fmt: skip
    if args.workers:
        mailed = t_mailed - t0
        print(f"and every email they caused delivered ({emails}, {emails / n:.1f} a message): "
              f"{mailed:.1f} s, {n / mailed:.0f} messages/s, whole machine "
              f"{busy_mailed / n * 1000:.1f} ms per message")  # fmt: skip
        print("CPU ms per message by then:",
              {k: round(v / n * 1000, 1) for k, v in cpu_mailed.items()})  # fmt: skip
    print(f"load average before {load0[0]:.1f}, after {load1[0]:.1f}")
    print("duplicates:", check_no_duplicates())
    for line in refused[:5]:
        print("refused:", line)


def run_cost(args, workdir: Path, sink) -> None:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from sportello.mail import inbound, processing, sender, tasks
    from sportello.mail.models import InboundMessage, OutboundEmail

    opened = seed(args.clients, args.tickets)
    messages = corpus(args.messages, args.clients, opened, 0.3, args.seed, "cost")
    queries = Counter()

    def count(execute, sql, params, many, context):
        queries[sql.split(None, 1)[0].upper()] += 1
        return execute(sql, params, many, context)

    def measure(label, items, step, total=None):
        queries.clear()
        wall, cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(count):
            results = [step(item) for item in items]
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        n = total or len(items)
        print(f"{label}: {n} in {wall:.1f} s, {cpu / n * 1000:.2f} ms CPU and "
              f"{sum(queries.values()) / n:.1f} queries each ({dict(queries)})")  # fmt: skip
        return results

    profiler = None
    if args.profile:  # CPU of this thread only: the relay's thread is not the workers'
        import cProfile

        profiler = cProfile.Profile(time.thread_time)

    def profiled(step, *args):
        return profiler.runcall(step, *args) if profiler else step(*args)

    def store(message):
        return inbound.store(message[2], RECIPIENT, "smtp", timezone.now())[0].pk

    half = len(messages) // 2
    rows = measure("store", messages, store)
    # The first half one by one (a task per message), the second in the workers' batches.
    batched, rows = rows[half:], rows[:half]
    outcomes = measure("process", rows, lambda pk: processing.process(pk, timezone.now()).status)
    size = processing.BATCH_SIZE
    batches = [batched[k : k + size] for k in range(0, len(batched), size)]
    done = measure(
        f"process, in batches of {size}",
        batches,
        lambda pks: profiled(processing.process_batch, pks, timezone.now()),
        len(batched),
    )
    outcomes += [row.status for batch in done for row in batch]
    print("outcomes:", dict(Counter(outcomes)))
    emails = list(OutboundEmail.objects.filter(status="queued").values_list("pk", flat=True))
    half = len(emails) // 2
    measure("deliver, one connection each", emails[:half],
            lambda pk: sender.deliver(pk, timezone.now()))  # fmt: skip
    # As the workers deliver what a batch of messages queued: a task per DELIVERY_CHUNK.
    size = tasks.DELIVERY_CHUNK
    chunks = [emails[k : k + size] for k in range(half, len(emails), size)]
    measure(f"deliver, {size} per task", chunks,
            lambda ids: profiled(sender.deliver_all, ids, timezone.now()),
            len(emails) - half)  # fmt: skip
    if profiler:
        import pstats

        print("\nCPU of processing in batches and of delivery in chunks, by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)
    print(f"delivered to the sink: {sink.count}; left received: "
          f"{InboundMessage.objects.filter(status='received').count()}")  # fmt: skip


def run_loss(args, workdir: Path, sink) -> None:
    import django

    django.setup()
    from sportello.mail.models import InboundMessage

    opened = seed(args.clients, args.tickets)
    messages = corpus(args.messages, args.clients, opened, 0.3, args.seed, "loss")
    port = free_port()
    acked, permanent, kills, retries = set(), [], [0], Counter()
    sending_done = threading.Event()
    log = open(LOG, "ab")  # noqa: SIM115 (closed below)

    def killer():
        while not sending_done.is_set():
            gateway = start(["smtpd", "--port", str(port)], log)
            try:
                wait_listening(port)
            except RuntimeError:
                pass
            time.sleep(random.uniform(0.05, 1.5))  # a random moment while it serves
            gateway.send_signal(signal.SIGKILL)
            gateway.wait()
            if not sending_done.is_set():
                kills[0] += 1
        final = start(["smtpd", "--port", str(port)], log)
        final.send_signal(signal.SIGTERM)
        final.wait()

    def client(share):
        smtp = None
        for mail_from, message_id, raw in share:
            while True:
                try:
                    if smtp is None:
                        smtp = smtplib.SMTP("127.0.0.1", port, timeout=30)
                    smtp.sendmail(mail_from, [RECIPIENT], raw)
                    acked.add(message_id)  # only after the 250 to DATA
                    break
                except smtplib.SMTPResponseException as error:
                    if not 400 <= error.smtp_code < 500:
                        permanent.append((message_id, error.smtp_code))
                        break
                    retries["4xx"] += 1
                except smtplib.SMTPRecipientsRefused as error:
                    codes = [code for code, _text in error.recipients.values()]
                    if not all(400 <= code < 500 for code in codes):
                        permanent.append((message_id, codes))
                        break
                    retries["4xx at RCPT"] += 1
                except OSError:  # refused, reset, disconnected (SMTPServerDisconnected too)
                    retries["connection"] += 1
                try:
                    if smtp is not None:
                        smtp.close()
                finally:
                    smtp = None
                time.sleep(0.05)
        if smtp is not None:
            try:
                smtp.quit()
            except OSError:
                pass

    workers = [start(["worker"], log) for _ in range(args.workers)]
    kill_loop = threading.Thread(target=killer)
    kill_loop.start()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(messages[n::args.senders],))
               for n in range(args.senders)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - t0
    sending_done.set()
    kill_loop.join()
    try:
        wait_processed(len(acked), timeout=1200)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait()
        log.close()
    sent = {message_id for _f, message_id, _raw in messages}
    stored = Counter(InboundMessage.objects.values_list("dedup_key", flat=True))
    missing = acked - set(stored)
    twice = [key for key, n in stored.items() if n > 1]
    print(f"\n{len(messages)} messages, {args.senders} retrying clients, {elapsed:.1f} s, "
          f"{kills[0]} gateway kills (SIGKILL), retries {dict(retries)}")  # fmt: skip
    print(f"acknowledged with 250: {len(acked)}; refused permanently: {len(permanent)}")
    print(f"acknowledged but not stored (lost): {len(missing)}")
    print(
        f"stored twice: {len(twice)}; stored but never acknowledged: "
        f"{len((set(stored) & sent) - acked)}; stored but not sent: {len(set(stored) - sent)}"
    )
    print("outcomes:", dict(status_counts()), "duplicates:", check_no_duplicates())
    if missing or twice or permanent:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loss", action="store_true", help="the loss test")
    parser.add_argument("--cost", action="store_true", help="CPU per message, one process")
    parser.add_argument(
        "--profile", action="store_true", help="with --cost: profile batches and deliveries"
    )
    parser.add_argument("--messages", type=int, default=None)
    parser.add_argument("--senders", type=int, default=None, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker process")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--tickets", type=int, default=300, help="open tickets to reply to")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.messages = args.messages or (2000 if args.loss or args.cost else 10000)
    args.senders = args.senders or (4 if args.loss else 8)
    from aiosmtpd.controller import Controller

    sink = Sink()
    relay = Controller(sink, hostname="127.0.0.1", port=free_port())
    relay.start()
    LOG.parent.mkdir(exist_ok=True)
    LOG.write_bytes(b"")
    with tempfile.TemporaryDirectory(prefix="bench-mail-") as workdir:
        setup_env(Path(workdir), relay.port)
        os.environ["HUEY_WORKERS"] = str(args.threads)
        print(f"load average at start: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
        try:
            run = run_loss if args.loss else run_cost if args.cost else run_throughput
            run(args, Path(workdir), sink)
        finally:
            relay.stop()


if __name__ == "__main__":
    main()
