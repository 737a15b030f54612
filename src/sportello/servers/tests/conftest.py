import pytest

from sportello.catalog.models import ProductType
from sportello.mail.models import OutboundEmail
from sportello.testing import (
    make_department,
    make_product,
    make_service,
    make_staff,
    make_support_plan,
)

T = ProductType
PLAN_RULES = {
    "basic": [(T.DEDICATED, False), (T.COLOCATION, False), (T.VPS, False)],
    "managed": [(T.DEDICATED, True)],
    "global": [(T.DEDICATED, True), (T.VPS, True)],
}


def make_server(client, level="basic", *, ip="192.0.2.10", name="srv1.example.org"):
    """A rented Linux dedicated server with a support plan of `level` ("" for none)."""
    dedicated = make_product(f"dedicated-{client.pk}-{name}", T.DEDICATED, "1200.00")
    server = make_service(client, dedicated, name=name, operating_system="linux", ip_address=ip)
    if level:
        plan = make_support_plan(level, PLAN_RULES[level]) if not _plan(level) else _plan(level)
        make_service(client, plan, name=f"{level} {name}", parent=server)
    return server


def _plan(level):
    from sportello.catalog.models import Product

    return Product.objects.filter(code=f"support-{level}").first()


@pytest.fixture
def helpdesk_staff(db):
    """A Helpdesk agent who reads English, and a Sales agent who must hear nothing."""
    helpdesk = make_department("helpdesk", "Helpdesk")
    sales = make_department("sales", "Sales & Marketing")
    agent = make_staff(departments=[helpdesk], email="agent@sportello.example")
    agent.language = "en"
    agent.save()
    make_staff(departments=[sales], email="sales@sportello.example")
    return agent


def mails(template=None, to=None):
    emails = OutboundEmail.objects.order_by("id")
    if template:
        emails = emails.filter(template=template)
    if to:
        emails = emails.filter(to_address=to)
    return list(emails)
