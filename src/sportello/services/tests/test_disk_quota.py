import subprocess
import sys
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sportello.automation.registry import run_day, run_time
from sportello.catalog.models import ProductType
from sportello.services.models import Service
from sportello.services.usage import import_usage
from sportello.testing import make_product, make_service

pytestmark = pytest.mark.django_db
DAY = date(2026, 6, 1)


@pytest.fixture
def site(owner):
    plan = make_product("hosting-basic", ProductType.HOSTING, "49.00", disk_quota_mb=1000)
    return make_service(owner, plan, name="olga.it", registered_on=date(2026, 1, 15))


def test_over_quota_is_suspended_with_a_notice_and_reactivated_back_under(owner, site):
    assert import_usage("service,used_mb\nolga.it,1200\n") == 1
    run_day(run_time(DAY))
    run_day(run_time(DAY))
    site.refresh_from_db()
    assert (site.status, site.over_quota) == (Service.Status.SUSPENDED, True)
    assert owner.emails.filter(template="quota_exceeded").count() == 1
    import_usage(f"service,used_mb\n{site.pk},800\n")
    run_day(run_time(DAY))
    site.refresh_from_db()
    assert (site.status, site.over_quota) == (Service.Status.ACTIVE, False)


def test_a_service_suspended_for_non_payment_stays_suspended_under_quota(site):
    Service.objects.filter(pk=site.pk).update(status=Service.Status.SUSPENDED, disk_used_mb=10)
    run_day(run_time(DAY))
    site.refresh_from_db()
    assert site.status == Service.Status.SUSPENDED


@pytest.mark.parametrize(
    "text, message",
    [
        ("name,mb\n", "line 1: the header must be service,used_mb"),
        ("service,used_mb\nolga.it,12\nnobody.it,5\n", "line 3: no hosting service 'nobody.it'"),
        ("service,used_mb\nolga.it,1.5\n", "line 2: '1.5' is not a number of MB"),
        ("service,used_mb\nolga.it,1²\n", "line 2: '1²' is not a number of MB"),
        ("service,used_mb\nolga.it,99999999999\n", "line 2: '99999999999' is not a number of MB"),
        ("service,used_mb\n²,5\n", "line 2: no hosting service '²'"),
    ],
)
def test_a_bad_line_imports_nothing(site, text, message):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        import_usage(text)
    assert error.value.messages[0] == message
    site.refresh_from_db()
    assert site.disk_used_mb is None


def test_command_exits_non_zero_with_one_line(tmp_path):
    bad = tmp_path / "usage.csv"
    bad.write_text("name,mb\n")
    result = subprocess.run([sys.executable, "-m", "sportello.cli", "importusage", str(bad)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0 and len(lines) == 1 and "riga 1" in lines[0]
