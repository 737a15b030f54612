import os
import subprocess
import sys

import pytest
from django.utils import timezone

from sportello.billing.models import Invoice
from sportello.testing import database_env, make_client

PROCESSES = 4
EACH = 25


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
