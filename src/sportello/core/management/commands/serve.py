import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run the web server and a background worker together (one box, no other server)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument(
            "--mail-console",
            action="store_true",
            help="also listen for outgoing mail on EMAIL_HOST:EMAIL_PORT and print it here",
        )

    def handle(self, *args, host, port, web_workers, mail_console, **options):
        if not 0 < port < 65536:
            raise CommandError(f"--port must be between 1 and 65535, not {port}")
        # Collected here so a changed stylesheet never meets a stale manifest.
        call_command("collectstatic", interactive=False, verbosity=0)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sportello.settings"}
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
        ]
        worker = [sys.executable, "-m", "sportello.cli", "worker"]
        processes = [subprocess.Popen(web, env=env), subprocess.Popen(worker, env=env)]
        if mail_console:
            listen = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
            mail = [sys.executable, "-m", "aiosmtpd", "-n", "-l", listen]
            processes.append(subprocess.Popen(mail, env=env))
        self.stdout.write(f"Sportello on http://{host}:{port}/ with a background worker")

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
