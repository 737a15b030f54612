"""Monitoring in the workers: every minute the due checks are handed out in batches."""

import logging
import math
import time
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import monitoring
from .models import Monitor

log = logging.getLogger(__name__)

WINDOW_SECONDS = 10
# A batch that finds more due checks claims again, for up to this long.
BATCH_SECONDS = 50


HORIZON = timedelta(seconds=WINDOW_SECONDS)


@db_task()
def run_checks():
    """Checks due within the coming window, each run at its due time."""
    started = time.monotonic()
    totals = {"checked": 0, "down": 0, "up": 0}
    while True:
        counts = monitoring.run_due_checks(timezone.now(), horizon=HORIZON)
        for key, value in counts.items():
            totals[key] += value
        if counts["checked"] < monitoring.BATCH or time.monotonic() - started > BATCH_SECONDS:
            # Checks run every minute, a batch per ten seconds: a line only when a service
            # went down or came back (`-v 2` shows every batch).
            level = logging.INFO if totals["down"] or totals["up"] else logging.DEBUG
            log.log(level, "monitoring: %(checked)s checked, %(down)s down, %(up)s up", totals)
            return totals


@db_periodic_task(crontab(minute="*"))
def dispatch_checks():
    """Batches for the checks due in each ten-second window of the coming minute, each
    scheduled for the start of its window; a batch claims its window's checks and runs each
    at its due time. Two workers dispatching the same minute only add batches that find
    nothing left to claim."""
    return dispatch(timezone.now())


def dispatch(now) -> int:
    queued = 0
    for start in range(0, 60, WINDOW_SECONDS):
        begin = now + timedelta(seconds=start)
        due = Monitor.objects.due(begin + timedelta(seconds=WINDOW_SECONDS))
        if start:
            due = due.filter(next_check_at__gte=begin)
        batches = math.ceil(due.count() / monitoring.BATCH)
        for _n in range(batches):
            if start:
                run_checks.schedule(eta=begin)
            else:
                run_checks()
            queued += 1
    return queued
