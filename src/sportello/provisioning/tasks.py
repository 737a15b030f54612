import logging

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task, lock_task

from . import actions

log = logging.getLogger(__name__)


@db_task()
def run_operations(operation_ids: list[int]) -> None:
    for pk in operation_ids:
        operation = actions.run(pk, timezone.now())
        if operation is not None and operation.status == operation.Status.FAILED:
            log.warning("provisioning %s failed: %s", operation, operation.error)


# Failed operations are tried again every five minutes until MAX_ATTEMPTS; a run that
# crashed mid-way is picked up once stale.
@db_periodic_task(crontab(minute="*/5"))
@lock_task("provisioning-retries")
def retry_operations() -> None:
    run_operations.call_local(actions.due_operations(timezone.now()))
