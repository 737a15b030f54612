"""Daily runs in separate processes: two at once, or one killed halfway and run again,
end with exactly what one clean run makes."""

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date

import pytest

from sportello.billing.models import Invoice, InvoiceLine
from sportello.catalog.models import ProductType
from sportello.services.models import ServiceNotice, ServiceRenewal
from sportello.testing import database_env, make_client, make_product, make_service

DAY = "2027-01-05"


def runjobs():
    return subprocess.Popen(
        [sys.executable, "-m", "sportello.cli", "runjobs", "--date", DAY],
        env={**os.environ, **database_env()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def state():
    return (
        Invoice.objects.count(),
        sorted(InvoiceLine.objects.values_list("service_id", flat=True)),
        ServiceRenewal.objects.count(),
        ServiceNotice.objects.count(),
    )


@pytest.fixture
def clients_with_renewals():
    hosting = make_product("hosting", ProductType.HOSTING, "49.00")
    for n in range(30):
        client = make_client(f"c{n}@example.org")
        for name in ("a", "b"):
            make_service(client, hosting, name=f"{name}{n}.it", registered_on=date(2026, 1, 15))


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_create_nothing_twice(clients_with_renewals):
    first, second = runjobs(), runjobs()
    for process in (first, second):
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err[-2000:]
    invoices, lines, renewals, _notices = state()
    assert invoices == 30 and renewals == 60
    assert len(lines) == len(set(lines)) == 60


@pytest.mark.django_db(transaction=True)
def test_a_run_killed_halfway_then_run_again_ends_like_a_clean_run(clients_with_renewals):
    process = runjobs()
    time.sleep(random.uniform(1.0, 2.5))  # the process needs about a second to start
    process.send_signal(signal.SIGKILL)
    process.wait()
    again = runjobs()
    _out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-2000:]
    invoices, lines, renewals, _notices = state()
    assert invoices == 30 and renewals == 60 and len(set(lines)) == len(lines) == 60
