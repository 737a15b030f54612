import subprocess
import sys
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sportello.billing.models import ExchangeRate
from sportello.billing.rates import import_rates

pytestmark = pytest.mark.django_db

GOOD = "date,currency,rate\n2026-03-11,USD,1.0850\n2026-03-11,gbp,0.8571\n\n2026-03-12,USD,1.0861\n"


def test_rates_are_imported():
    assert import_rates(GOOD) == 3
    assert ExchangeRate.objects.get(day=date(2026, 3, 11), currency="GBP").rate == D("0.8571")


@pytest.mark.parametrize(
    "text, message",
    [
        ("day,cur,rate\n", "line 1: the header must be date,currency,rate"),
        (
            "date,currency,rate\n2026-03-11,USD,1.08\n2026-13-01,USD,1.1\n",
            "line 3: '2026-13-01' is not a date",
        ),
        ("date,currency,rate\n2026-03-11,US,1.08\n", "line 2: 'US' is not a currency code"),
        ("date,currency,rate\n2026-03-11,USD,-1\n", "line 2: '-1' is not a positive rate"),
        ("date,currency,rate\n2026-03-11,USD,abc\n", "line 2: 'abc' is not a positive rate"),
        ("date,currency,rate\n2026-03-11,USD\n", "line 2: expected 3 columns"),
    ],
)
def test_a_bad_line_imports_nothing_and_says_which(text, message):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        import_rates(text)
    assert error.value.messages[0].startswith(message)
    assert not ExchangeRate.objects.exists()


def test_command_exits_non_zero_with_one_line(tmp_path):
    bad = tmp_path / "rates.csv"
    bad.write_text("date,currency,rate\n2026-03-11,USD,x\n")
    result = subprocess.run(
        [sys.executable, "-m", "sportello.cli", "importrates", str(bad)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    # Commands speak the provider's language (Italian by default).
    assert len(lines) == 1 and "riga 2" in lines[0] and "non è stato importato nulla" in lines[0]
