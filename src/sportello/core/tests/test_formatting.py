"""`local_date` writes a moment as the template's `date` filter does."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from sportello.core.formatting import local_date

FORMATS = ["SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "DATE_FORMAT",
           "TIME_FORMAT", "MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT"]  # fmt: skip
# Midnight, noon, single-digit days and months, both changes of summer time in Rome and a
# leap day, each a little before and after.
MOMENTS = [
    datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 0, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    datetime(2026, 12, 31, 23, 5, 9, tzinfo=UTC),
]


@pytest.mark.parametrize("language", ["it", "en", "es"])
@pytest.mark.parametrize("zone", ["Europe/Rome", "Atlantic/Canary", "America/New_York"])
def test_local_date_writes_what_the_date_filter_writes(language, zone):
    moments = [moment + timedelta(minutes=shift) for moment in MOMENTS for shift in (-61, 0, 7)]
    with translation.override(language), timezone.override(zone):
        for format_name in FORMATS:
            template = Template("{{ value|date:format_name }}")
            for moment in moments:
                expected = template.render(Context({"value": moment, "format_name": format_name}))
                assert local_date(moment, format_name) == expected, (format_name, moment)


def test_no_moment_is_written_as_nothing():
    assert local_date(None) == ""
