import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

# Addresses that mean "every interface": a browser on this box reaches them on loopback.
EVERY_INTERFACE = {"", "0.0.0.0", "::"}


def site_url(host: str, port: int) -> str:
    """What links in mail name when SITE_URL is not set: this server, as this box reaches
    it, so `--port` alone gives working confirmation links."""
    if host in EVERY_INTERFACE:
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def bind_port(host: str, port: int = 0) -> int:
    """Binds host:port for a moment and returns the port: with 0, one nothing listens on
    now, chosen by the system, so two servers on one box each print their own mail instead
    of the second failing on a fixed port. OSError when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, port))
        return probe.getsockname()[1]


def listening(host: str, port: int, process: subprocess.Popen, timeout: float = 10.0) -> bool:
    """Whether `process` came to listen on host:port; False once it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def static_sources() -> str:
    """A digest of what collectstatic would collect and how: every source file's path, size
    and modification time, the storage, STATIC_URL and STATIC_ROOT."""
    from django.contrib.staticfiles import finders

    found = set()
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):  # collectstatic's own ignores
            status = os.stat(storage.path(path))
            found.add(f"{path}\0{storage.path(path)}\0{status.st_size}\0{status.st_mtime_ns}")
    digest = hashlib.sha256()
    for line in [repr(settings.STORAGES), settings.STATIC_URL, str(settings.STATIC_ROOT)]:
        digest.update(line.encode() + b"\n")
    for line in sorted(found):
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


def collect_static() -> bool:
    """collectstatic, unless nothing it collects changed since it last ran here: it compresses
    every file each time (about 8 s), a restart need not wait for that. Whether it ran."""
    record = Path(settings.DATA_DIR) / "static-sources"
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    sources = static_sources()
    if manifest.exists() and record.exists() and record.read_text() == sources:
        return False
    record.unlink(missing_ok=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    record.write_text(sources)
    return True


class Command(BaseCommand):
    help = "Run the web server and a background worker together (one box, no other server)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument(
            "--mail-console",
            action="store_true",
            help="also listen for outgoing mail on EMAIL_HOST and print it here (on a free "
            "port, given to the web server and the worker, unless EMAIL_PORT is set)",
        )
        parser.add_argument(
            "--collect-only",
            action="store_true",
            help="collect the static files (if they changed since the last time) and exit: "
            "scripts/start does it while it prepares the database",
        )

    def handle(self, *args, host, port, web_workers, mail_console, collect_only, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}")
        # Collected here so a changed stylesheet never meets a stale manifest.
        collect_static()
        if collect_only:
            return
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sportello.settings"}
        if not env.get("SITE_URL"):
            env["SITE_URL"] = site_url(host, port)
        processes = []
        if mail_console:
            # First, so the worker's first emails find it listening.
            mail, mail_port = self.start_mail_console(env)
            processes.append(mail)
            env["EMAIL_PORT"] = str(mail_port)
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "sportello.wsgi",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(web_workers),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "5",
            # gunicorn's control socket is one path per user: a second server on the box
            # took it over from the first. Nothing here uses it.
            "--no-control-socket",
        ]
        worker = [sys.executable, "-m", "sportello.cli", "worker"]
        processes += [subprocess.Popen(web, env=env), subprocess.Popen(worker, env=env)]
        self.stdout.write(f"Sportello on http://{host}:{port}/ with a background worker")
        if mail_console:
            self.stdout.write(
                f"Outgoing mail is printed here (SMTP on {settings.EMAIL_HOST}:{mail_port})"
            )

        def stop(*_args):
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            stop()
            for process in processes:
                process.wait(timeout=15)
        failed = [p for p in processes if p.returncode not in (0, -signal.SIGTERM, None)]
        if failed:
            raise CommandError("a Sportello process stopped unexpectedly; see the log above")

    def start_mail_console(self, env: dict) -> tuple[subprocess.Popen, int]:
        """The listener that prints outgoing mail, on EMAIL_PORT when it is set and on a free
        port otherwise (tried again should another program take that port first)."""
        host = settings.EMAIL_HOST
        fixed = int(os.environ["EMAIL_PORT"]) if os.environ.get("EMAIL_PORT") else None
        if fixed:
            # Else the program already there would answer for a listener that never started.
            try:
                bind_port(host, fixed)
            except OSError as error:
                raise CommandError(
                    f"EMAIL_PORT {fixed} on {host} is taken ({error.strerror}); without "
                    "EMAIL_PORT the mail listener takes a free port"
                ) from None
        for _attempt in range(1 if fixed else 3):
            port = fixed or bind_port(host)
            command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"{host}:{port}"]
            process = subprocess.Popen(command, env=env)
            if listening(host, port, process):
                return process, port
            if process.poll() is None:
                process.terminate()
            process.wait(timeout=15)
        raise CommandError(f"the mail listener could not listen on {host}:{port}")
