"""The workers' consumer: any number of workers may run the periodic scheduler, and each
minute's periodic tasks are still queued once.

huey's scheduler queues the periodic tasks due in the minute it wakes up in; two workers each
running it (two boxes, or a second box started while the first is still up) queued every
periodic task twice. Here the scheduler first claims the minute in the queue's own storage
(Redis `HSETNX`, or a unique key in SQLite): the first worker to wake up in that minute queues
its tasks, the others skip it. Nothing has to be elected or failed over: when the worker that
usually wins stops, the next one to wake up in the minute takes it.
"""

import logging
import os
import socket
from datetime import datetime, timedelta

from huey.consumer import Consumer, Scheduler

log = logging.getLogger(__name__)

# Claims older than this are removed by the claim of the current minute: a minute is only
# ever claimed during it, and the keys would otherwise pile up one a minute forever.
CLAIMS_KEPT = timedelta(minutes=10)


def minute_key(moment: datetime) -> str:
    return f"sportello.periodic.{moment:%Y%m%d%H%M}"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class OncePerMinuteScheduler(Scheduler):
    def enqueue_periodic_tasks(self, now):
        # The moment the periodic tasks are read for is the one claimed (huey's own clock,
        # UTC unless the queue says otherwise), so a claim and the tasks match.
        moment = now or self.huey._get_timestamp()
        if not self.huey.storage.put_if_empty(minute_key(moment), worker_name().encode()):
            log.debug("periodic tasks of %s already queued by another worker", moment)
            return
        self.huey.storage.delete_data(minute_key(moment - CLAIMS_KEPT))
        super().enqueue_periodic_tasks(moment)


class SportelloConsumer(Consumer):
    scheduler_class = OncePerMinuteScheduler
