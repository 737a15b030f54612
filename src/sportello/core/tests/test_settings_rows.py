import pytest

from sportello.core.models import Provider, settings_read_once
from sportello.helpdesk.models import HelpdeskSettings

pytestmark = pytest.mark.django_db


def test_a_unit_of_work_reads_each_settings_row_once(django_assert_num_queries):
    HelpdeskSettings.current()
    Provider.current()
    with settings_read_once(), django_assert_num_queries(2):
        first = HelpdeskSettings.current()
        assert HelpdeskSettings.current() is first
        assert Provider.current() is Provider.current()


def test_a_change_applies_from_the_next_unit_of_work():
    HelpdeskSettings.current()
    with settings_read_once():
        assert HelpdeskSettings.current().reopen_days == 7
        HelpdeskSettings.objects.update(reopen_days=3)  # staff save meanwhile
        assert HelpdeskSettings.current().reopen_days == 7
    with settings_read_once():
        assert HelpdeskSettings.current().reopen_days == 3
    # Outside a unit of work every read goes to the database.
    HelpdeskSettings.objects.update(reopen_days=5)
    assert HelpdeskSettings.current().reopen_days == 5
