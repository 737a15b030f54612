"""The reason a suspended cPanel account shows its owner: in the client's language, why it
was suspended, unless the server has its own text."""

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sportello import testing
from sportello.catalog.models import ProductType
from sportello.provisioning import dispatch
from sportello.provisioning.models import ProductModule, Server
from sportello.services.models import Service
from sportello.services.provisioning import ask_staff

from .test_modules import whm_server

pytestmark = pytest.mark.django_db


def suspended_reason(whm, service, capture, status=Service.Status.SUSPENDED):
    with capture(execute=True):
        ask_staff([service.pk], status, timezone.localdate())
    [params] = [params for function, params in whm.calls if function == "suspendacct"]
    whm.calls.clear()
    return params["reason"]


def hosting_for(whm, language, capture, **service_fields):
    product = testing.make_product(f"pro-{language}", ProductType.HOSTING)
    server = Server.objects.filter(module="cpanel").first() or whm_server(whm)
    ProductModule.objects.create(product=product, server=server, package="pro_plan")
    customer = testing.make_client(f"{language}@example.org", language=language)
    service = testing.make_service(customer, product, name=f"sito-{language}.it",
                                   status=Service.Status.PENDING, **service_fields)  # fmt: skip
    with capture(execute=True):
        dispatch.activate([service], timezone.localdate())
    return service


def test_the_reason_is_in_the_clients_language_and_says_why(
    whm, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    spanish = hosting_for(whm, "es", capture)
    with translation.override("es"):
        unpaid = _("Suspended: the renewal of this service is unpaid.")
    assert suspended_reason(whm, spanish, capture) == unpaid

    italian = hosting_for(whm, "it", capture, over_quota=True)
    with translation.override("it"):
        over = _("Suspended: the site uses more disk space than its plan allows.")
    assert suspended_reason(whm, italian, capture) == over


def test_the_servers_own_text_replaces_it(whm, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    service = hosting_for(whm, "en", capture)
    Server.objects.update(options={"suspend_reason": "Account suspended: call 0123 456789"})
    assert suspended_reason(whm, service, capture) == "Account suspended: call 0123 456789"
