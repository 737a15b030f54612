from django.utils import timezone
from huey.contrib.djhuey import db_task

from . import actions


@db_task()
def process_event_task(event_id: int) -> str:
    return actions.process_event(event_id, timezone.now())
