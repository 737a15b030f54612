"""`local_date` writes a moment as the template's `date` filter does."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from sportello.core.formatting import compact_date, fix_date_articles, local_date

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


@pytest.mark.parametrize(
    "language, this_year, other_year, day",
    [
        ("it", "1 mar, 10:05", "31 dic 2025, 23:59", "8 ago"),
        ("en", "1 Mar, 10:05", "31 Dec 2025, 23:59", "8 Aug"),
        ("es", "1 mar, 10:05", "31 dic 2025, 23:59", "8 ago"),
    ],
)
def test_compact_dates_name_the_year_only_when_it_is_not_the_current_one(
    language, this_year, other_year, day
):
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    with translation.override(language), timezone.override("Europe/Rome"):
        assert spaced(compact_date(datetime(2026, 3, 1, 9, 5, tzinfo=UTC), now)) == this_year
        assert spaced(compact_date(datetime(2025, 12, 31, 22, 59, tzinfo=UTC), now)) == other_year
        assert spaced(compact_date(datetime(2026, 8, 8, 12, tzinfo=UTC), now, False)) == day
        assert compact_date(None, now) == ""
        # In one piece: a narrow column breaks the line before or after it, never inside.
        assert " " not in compact_date(datetime(2025, 12, 31, 22, 59, tzinfo=UTC), now)


def spaced(text: str) -> str:
    return text.replace("\u00a0", " ")


def test_the_year_of_a_compact_date_is_the_local_one():
    """23:30 UTC on New Year's Eve is already next year in Rome, still this year in New York."""
    moment, now = datetime(2025, 12, 31, 23, 30, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)
    with translation.override("en"):
        with timezone.override("Europe/Rome"):
            assert spaced(compact_date(moment, now)) == "1 Jan, 00:30"
        with timezone.override("America/New_York"):
            assert spaced(compact_date(moment, now)) == "31 Dec 2025, 18:30"


def test_italian_compact_dates_take_the_elided_article():
    assert fix_date_articles("aperto il 1\u00a0dic, dal 8\u00a0mar al 11 nov", "it") == (
        "aperto l'1\u00a0dic, dall'8\u00a0mar all'11 nov"
    )
