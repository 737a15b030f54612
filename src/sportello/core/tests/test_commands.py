"""The `sportello` command: real processes, exit codes and one clear line on bad input."""

import os
import subprocess
import sys

import pytest

from sportello.accounts.models import Client, User
from sportello.catalog.models import Product
from sportello.demo.data import seed_demo, seed_volume
from sportello.services.models import Service


def sportello(*args, **env):
    return subprocess.run(
        [sys.executable, "-m", "sportello.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["seeddemo", "--clients", "-3"], "--clients must be zero or more, not -3"),
        (["serve", "--port", "70000"], "--port must be between 1 and 65535, not 70000"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line(args, message):
    result = sportello(*args)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]


@pytest.mark.django_db
def test_seeddemo_is_idempotent_and_covers_every_stage():
    from django.utils import timezone

    today = timezone.localdate()
    seed_demo(today)
    counts = (User.objects.count(), Client.objects.count(), Service.objects.count(),
              Product.objects.count())  # fmt: skip
    seed_demo(today)
    assert counts == (User.objects.count(), Client.objects.count(), Service.objects.count(),
                      Product.objects.count())  # fmt: skip
    statuses = set(Service.objects.values_list("status", flat=True))
    assert {"active", "expired", "suspended", "on_hold"} <= statuses
    # Every blocked service names the open invoice that would bring it back.
    for blocked in Service.objects.filter(status__in=["suspended", "on_hold"]):
        assert blocked.renewals.filter(
            period_start=blocked.expires_on, invoice__status="open"
        ).exists(), blocked
    assert Service.objects.filter(
        expires_on__range=(today, today.replace(year=today.year + 1))
    ).exists()
    languages = set(Client.objects.values_list("owner__language", flat=True))
    assert languages == {"it", "en", "es"}
    assert all(u.has_two_factor for u in User.objects.filter(is_staff=True))


@pytest.mark.django_db
def test_volume_clients_are_added_once():
    from django.utils import timezone

    today = timezone.localdate()
    seed_demo(today)
    assert seed_volume(25, today, "!", batch=10) == 25
    assert seed_volume(30, today, "!", batch=10) == 5
    assert Client.objects.filter(owner__email__endswith="@volume.example").count() == 30
    assert Service.objects.filter(client__owner__email__endswith="@volume.example").count() == 90
