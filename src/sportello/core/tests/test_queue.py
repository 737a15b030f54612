"""Several workers may each run the periodic scheduler: every minute's periodic tasks are
still queued once, by whichever worker wakes up first in that minute."""

from datetime import datetime

from huey import MemoryHuey, crontab

from sportello.core.queue import CLAIMS_KEPT, OncePerMinuteScheduler, minute_key


def test_two_schedulers_queue_each_minutes_periodic_tasks_once():
    huey = MemoryHuey("claims", immediate=False)

    @huey.periodic_task(crontab(minute="*"))
    def every_minute():
        return None

    @huey.periodic_task(crontab(minute="5"))
    def hourly():
        return None

    stop = huey.create_consumer().stop_flag
    first, second = (OncePerMinuteScheduler(huey, stop, 1, True) for _ in range(2))
    at_five = datetime(2026, 3, 1, 10, 5, 0)
    first.enqueue_periodic_tasks(at_five)
    second.enqueue_periodic_tasks(at_five.replace(second=40))
    assert sorted(t.name for t in huey.pending()) == ["every_minute", "hourly"]

    # The next minute belongs to whichever wakes up first: the second this time.
    second.enqueue_periodic_tasks(at_five.replace(minute=6, second=1))
    first.enqueue_periodic_tasks(at_five.replace(minute=6, second=59))
    assert len(huey.pending()) == 3

    # Old claims go as new minutes are claimed.
    later = at_five + CLAIMS_KEPT
    first.enqueue_periodic_tasks(later)
    assert huey.storage.peek_data(minute_key(at_five)) is not None
    assert not huey.storage.has_data_for_key(minute_key(at_five))
