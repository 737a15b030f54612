from django.utils import timezone
from huey.contrib.djhuey import db_task

from . import archive


@db_task(retries=2, retry_delay=60)
def prepare_export_task(pk: int) -> None:
    archive.prepare_export(pk, timezone.now())
