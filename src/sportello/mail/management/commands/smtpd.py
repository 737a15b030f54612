import signal
import threading

from django.core.management.base import BaseCommand

from sportello.mail.gateway import controller


class Command(BaseCommand):
    help = "Receive help-desk mail over SMTP (for the MTA in front, or directly)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args, host, port, **options):
        server = controller(host, port)
        server.start()
        self.stdout.write(f"SMTP gateway listening on {host}:{port}")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        stop.wait()
        server.stop()
