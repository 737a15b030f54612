import os
import subprocess
import sys

import pytest
from django.db import connection
from django.utils import timezone

from sportello.billing.models import Invoice
from sportello.testing import make_client

PROCESSES = 4
EACH = 25


def database_env() -> dict:
    """Point the worker processes at the test database."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return {"SQLITE_PATH": db["NAME"]}
    user, host, port = db["USER"] or "postgres", db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return {"DATABASE_URL": f"postgresql://{user}@{host}:{port}/{db['NAME']}"}


@pytest.mark.django_db(transaction=True)
def test_processes_issuing_at_once_get_gapless_unique_numbers():
    client = make_client()
    env = {**os.environ, **database_env()}
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sportello.billing.tests.issue_worker",
                str(client.pk),
                str(EACH),
            ],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        _out, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err[-2000:]
    year = timezone.localdate().year
    numbers = sorted(Invoice.objects.filter(year=year).values_list("number", flat=True))
    assert numbers == list(range(1, PROCESSES * EACH + 1))
