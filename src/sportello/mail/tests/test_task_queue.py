"""The delivery task through the configured queue itself (SqliteHuey, or RedisHuey when
REDIS_URL is set), not the immediate mode the rest of the suite uses."""

import pytest
from django.conf import settings
from huey.contrib.djhuey import HUEY

from sportello.mail.models import OutboundEmail
from sportello.mail.tasks import deliver_email

pytestmark = pytest.mark.django_db


@pytest.fixture
def real_queue():
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


def test_delivery_goes_through_the_configured_queue(owner, real_queue, inbox):
    expected = "RedisHuey" if settings.REDIS_URL else "SqliteHuey"
    assert type(real_queue).__name__ == expected
    from sportello.mail.actions import queue_to_client

    email = queue_to_client(owner, "welcome")
    deliver_email(email.pk)  # enqueued, not run
    assert real_queue.pending_count() == 1
    task = real_queue.dequeue()
    assert task.name.endswith("deliver_email") and task.args == (email.pk,)
    # Run the task body as the consumer would, without the consumer's closing of the
    # database connection, which belongs to the test's transaction here.
    deliver_email.call_local(*task.args)
    inbox.wait_for(1)
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT


def test_the_suite_and_the_processes_it_starts_never_use_the_running_workers_queue():
    from sportello.testing import database_env

    assert settings.HUEY["name"] == "sportello-test"
    assert "huey-test" in settings.HUEY.get("filename", "huey-test")
    assert database_env()["SPORTELLO_DATA_DIR"] != str(settings.DATA_DIR)
