from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sportello import testing
from sportello.catalog.models import ProductType
from sportello.extra.models import Skill, Technician
from sportello.helpdesk.models import Category

ROME = ZoneInfo("Europe/Rome")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


@pytest.fixture
def helpdesk(db):
    return Category.objects.get(code="extra-contract").department


@pytest.fixture
def linux(db):
    return Skill.objects.get(code="linux")


@pytest.fixture
def senior(helpdesk, linux):
    user = testing.make_staff(departments=[helpdesk], email="sara@sportello.example")
    user.first_name = "Sara"
    user.save()
    technician = Technician.objects.create(user=user, level="senior")
    technician.skills.add(linux)
    return user


@pytest.fixture
def junior_windows(helpdesk):
    user = testing.make_staff(departments=[helpdesk], email="gino@sportello.example")
    technician = Technician.objects.create(user=user, level="junior")
    technician.skills.add(Skill.objects.get(code="windows"))
    return user


@pytest.fixture
def server(owner):
    product = testing.make_product("srv-rent", ProductType.DEDICATED, "900.00")
    return testing.make_service(owner, product, name="srv1.olga.example", operating_system="linux")


def attach_plan(client, server, level):
    plan = testing.make_support_plan(level, [(ProductType.DEDICATED, False)])
    return testing.make_service(client, plan, name=f"{level} {server.name}", parent=server)
