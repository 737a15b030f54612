import logging

from django.core.management import call_command
from django.core.management.base import BaseCommand

# -v 0 keeps warnings and errors; -v 2 adds the DEBUG lines, among them huey's line for
# every task run (settings.LOGGING demotes them), which is how one sees periodic runs.
VERBOSITY_LEVELS = {0: logging.WARNING, 2: logging.DEBUG, 3: logging.DEBUG}


class Command(BaseCommand):
    help = "Run the background worker: sends mail and runs the scheduled jobs."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None, help="worker threads")

    def handle(self, *args, workers=None, verbosity=1, **options):
        if verbosity in VERBOSITY_LEVELS:
            for name in ("huey", "sportello"):
                logging.getLogger(name).setLevel(VERBOSITY_LEVELS[verbosity])
        extra = ["--workers", str(workers)] if workers else []
        call_command("run_huey", *extra)
