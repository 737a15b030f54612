import logging

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import autodiscover_modules

# -v 0 keeps warnings and errors; -v 2 adds the DEBUG lines, among them huey's line for
# every task run (settings.LOGGING demotes them), which is how one sees periodic runs.
VERBOSITY_LEVELS = {0: logging.WARNING, 2: logging.DEBUG, 3: logging.DEBUG}


class Command(BaseCommand):
    help = "Run the background worker: sends mail and runs the scheduled jobs."

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None, help="worker threads")
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="do not queue the periodic tasks (the daily run, mail retries, monitoring): "
            "only run what others queue. Without it several workers may each run the "
            "scheduler; every minute's periodic tasks are queued once all the same",
        )

    def handle(self, *args, workers=None, no_periodic=False, verbosity=1, **options):
        from huey.consumer_options import ConsumerConfig
        from huey.contrib.djhuey import HUEY

        from sportello.core.queue import SportelloConsumer

        if verbosity in VERBOSITY_LEVELS:
            for name in ("huey", "sportello"):
                logging.getLogger(name).setLevel(VERBOSITY_LEVELS[verbosity])
        # As huey's run_huey does, with a consumer whose scheduler claims each minute.
        consumer_options = dict(settings.HUEY.get("consumer", {}))
        if workers:
            consumer_options["workers"] = workers
        if no_periodic:
            consumer_options["periodic"] = False
        autodiscover_modules("tasks")
        config = ConsumerConfig(**consumer_options)
        config.validate()
        huey_log = logging.getLogger("huey")
        if not huey_log.handlers:
            config.setup_logger(huey_log)
        SportelloConsumer(HUEY, **config.values).run()
