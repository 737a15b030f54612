"""The client's pages for what the modules know: a hosting's usage and control-panel
sign-in (WHM stand-in), a domain's lock, name servers and auth code (EPP stand-in), the DNS
zone editor (the real PowerDNS). Each change is an operation that records who asked; a
client reaches only their own services."""

import dns.message
import dns.query
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from sportello import testing
from sportello.catalog.models import ProductType
from sportello.mail.models import OutboundEmail
from sportello.provisioning import dispatch, zone
from sportello.provisioning.models import Operation, ProductModule
from sportello.services.models import Service

from .test_modules import epp_server, pdns_server, pending_service, whm_server

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def activated(service, capture):
    with capture(execute=True):
        dispatch.activate([service], timezone.localdate())
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    return service


@pytest.fixture
def hosting(whm, django_capture_on_commit_callbacks):
    product = testing.make_product("pro", ProductType.HOSTING)
    ProductModule.objects.create(product=product, server=whm_server(whm), package="pro_plan")
    return activated(pending_service(product, "rossi.it"), django_capture_on_commit_callbacks)


@pytest.fixture
def domain(registry, django_capture_on_commit_callbacks):
    product = testing.make_product("dom-it", ProductType.DOMAIN, "12.90")
    ProductModule.objects.create(product=product, server=epp_server(registry), package="it")
    return activated(pending_service(product, "libero.it"), django_capture_on_commit_callbacks)


def test_hosting_usage_and_control_panel_sign_in(client, hosting, whm):
    client.force_login(hosting.client.owner)
    page = client.get(reverse("portal:service", args=[hosting.pk]))
    assert b'id="service-panel"' in page.content and b'id="open-control-panel"' in page.content
    assert b'id="edit-zone"' not in page.content  # no DNS module for this plan

    live = client.get(reverse("portal:service_panel", args=[hosting.pk]), **HTMX)
    assert live.context["state"].usage.disk_used_mb == 14
    assert live.context["state"].usage.disk_limit_mb == 1024
    assert live.context["state"].usage.bandwidth_used_mb == 5
    assert b"<html" not in live.content  # the fragment the service page loads
    assert b"<html" in client.get(reverse("portal:service_panel", args=[hosting.pk])).content

    sso = client.post(reverse("portal:service_sso", args=[hosting.pk]))
    assert sso.status_code == 302 and sso["Location"].startswith("https://whm.example:2083/")
    sign_in = Operation.objects.get(action=Operation.Action.SSO)
    assert sign_in.status == Operation.Status.DONE and sign_in.asked_by == hosting.client.owner

    # A server that does not answer: the page says so instead of failing.
    whm.close()
    live = client.get(reverse("portal:service_panel", args=[hosting.pk]), **HTMX)
    assert live.status_code == 200 and live.context["state"].unreachable
    failed = client.post(reverse("portal:service_sso", args=[hosting.pk]))
    assert failed.status_code == 302 and failed["Location"].endswith(f"/services/{hosting.pk}/")


def test_domain_lock_nameservers_and_auth_code(
    client, domain, registry, django_capture_on_commit_callbacks
):
    owner = domain.client.owner
    client.force_login(owner)
    live = client.get(reverse("portal:service_panel", args=[domain.pk]), **HTMX)
    assert not live.context["state"].domain.locked
    assert b'id="nameservers-form"' in live.content

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:service_lock", args=[domain.pk]), {"locked": "1"})
    assert registry.domains["libero.it"]["statuses"] == ["clientTransferProhibited"]
    live = client.get(reverse("portal:service_panel", args=[domain.pk]), **HTMX)
    assert live.context["state"].domain.locked

    wrong = client.post(reverse("portal:service_nameservers", args=[domain.pk]),
                        {"nameservers": "ns1.example.net\nnot a host"})  # fmt: skip
    assert wrong.status_code == 200 and wrong.context["nameservers_form"].errors
    alone = client.post(reverse("portal:service_nameservers", args=[domain.pk]),
                        {"nameservers": "ns1.example.net"})  # fmt: skip
    assert alone.context["nameservers_form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("portal:service_nameservers", args=[domain.pk]),
                           {"nameservers": "NS1.Example.net.\nns2.example.net"})  # fmt: skip
    assert done.status_code == 302
    assert sorted(registry.domains["libero.it"]["ns"]) == ["ns1.example.net", "ns2.example.net"]
    change = Operation.objects.get(action=Operation.Action.NAMESERVERS)
    assert change.asked_by == owner and change.params == {
        "nameservers": ["ns1.example.net", "ns2.example.net"]
    }

    # The auth code goes by mail to the registered address, once an hour.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:service_auth_code", args=[domain.pk]))
        client.post(reverse("portal:service_auth_code", args=[domain.pk]))
    [mail] = OutboundEmail.objects.filter(template="domain_auth_code")
    assert registry.domains["libero.it"]["pw"] in mail.body_text
    assert mail.to_address == domain.client.contact_email or mail.to_address == owner.email
    assert Operation.objects.filter(action=Operation.Action.AUTH_CODE).count() == 1


def test_changes_only_while_active_and_only_on_ones_own_services(client, domain, registry):
    other = testing.make_client("altro@example.org", name="Altro Cliente")
    client.force_login(other.owner)
    for name in ("service_panel", "service_zone"):
        assert client.get(reverse(f"portal:{name}", args=[domain.pk])).status_code == 404
    for name in ("service_lock", "service_nameservers", "service_auth_code", "service_sso"):
        assert client.post(reverse(f"portal:{name}", args=[domain.pk])).status_code == 404

    Service.objects.filter(pk=domain.pk).update(status=Service.Status.SUSPENDED)
    client.force_login(domain.client.owner)
    client.post(reverse("portal:service_lock", args=[domain.pk]), {"locked": "1"})
    assert not Operation.objects.filter(action=Operation.Action.LOCK).exists()
    assert registry.domains["libero.it"]["statuses"] == []


def test_zone_editor_writes_checked_records_to_powerdns(
    client, powerdns, django_capture_on_commit_callbacks
):
    product = testing.make_product("pro", ProductType.HOSTING)
    server = pdns_server(powerdns)
    ProductModule.objects.create(product=product, server=server)
    service = pending_service(product, "zona-client.it")
    service = activated(service, django_capture_on_commit_callbacks)
    client.force_login(service.client.owner)
    url = reverse("portal:service_zone", args=[service.pk])

    page = client.get(url)
    rows = {(row["name"], row["rrset"].type): row for row in page.context["rows"]}
    assert rows[("www", "A")]["rrset"].values == ["192.0.2.20"]
    assert not rows[("@", "NS")]["editable"] and not rows[("@", "SOA")]["editable"]

    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(url, {"name": "@", "type": "TXT", "ttl": "300",
                                  "values": "v=spf1 mx -all"})  # fmt: skip
    assert saved.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"name": "blog", "type": "CNAME", "ttl": "3600", "values": "www"})
    answer = dns.query.udp(dns.message.make_query("zona-client.it", "TXT"), "127.0.0.1",
                           port=powerdns.dns_port, timeout=5)  # fmt: skip
    assert [r.to_text() for rrset in answer.answer for r in rrset] == ['"v=spf1 mx -all"']
    answer = dns.query.udp(dns.message.make_query("blog.zona-client.it", "CNAME"), "127.0.0.1",
                           port=powerdns.dns_port, timeout=5)  # fmt: skip
    assert [r.to_text() for rrset in answer.answer for r in rrset] == ["www.zona-client.it."]

    # Refused with the reason: an alias beside other records, a bad address.
    for wrong in (
        {"name": "www", "type": "CNAME", "ttl": "3600", "values": "blog"},
        {"name": "ftp", "type": "A", "ttl": "3600", "values": "192.0.2.300"},
        {"name": "@", "type": "NS", "ttl": "3600", "values": "ns.altro.it."},
    ):
        refused = client.post(url, wrong)
        assert refused.status_code == 200 and refused.context["form"].errors, wrong

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"delete": "1", "name": "blog.zona-client.it.", "type": "CNAME"})
    assert ("blog", "CNAME") not in {
        (row["name"], row["rrset"].type) for row in client.get(url).context["rows"]
    }
    assert Operation.objects.filter(action=Operation.Action.ZONE,
                                    status=Operation.Status.DONE).count() == 3  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("A", "192.0.2.1", "192.0.2.1"),
        ("AAAA", "2001:DB8::1", "2001:db8::1"),
        ("MX", "10 mail", "10 mail.esempio.it."),
        ("MX", "5 mx.other.net.", "5 mx.other.net."),
        ("SRV", "10 5 5060 sip", "10 5 5060 sip.esempio.it."),
        ("CAA", '0 issue "letsencrypt.org"', '0 issue "letsencrypt.org"'),
        ("TXT", '"quoted" text', '"\\"quoted\\" text"'),
        ("TXT", "x" * 300, f'"{"x" * 255}" "{"x" * 45}"'),
    ],
)
def test_record_values_are_stored_in_their_presentation_format(kind, value, stored):
    rrset = zone.clean_rrset("esempio.it", "host", kind, 3600, [value], [])
    assert rrset.values == [stored] and rrset.name == "host.esempio.it."


@pytest.mark.parametrize(
    ("name", "kind", "ttl", "value"),
    [
        ("host", "A", 3600, "2001:db8::1"),
        ("host", "AAAA", 3600, "192.0.2.1"),
        ("host", "MX", 3600, "mail.esempio.it."),
        ("host", "MX", 3600, "70000 mail"),
        ("host", "CAA", 3600, '0 hack "x"'),
        ("host", "SOA", 3600, "x"),
        ("host", "A", 10, "192.0.2.1"),
        ("host..x", "A", 3600, "192.0.2.1"),
        ("a*b", "A", 3600, "192.0.2.1"),
        ("@", "CNAME", 3600, "www"),
        ("host", "TXT", 3600, "caffè"),
        ("host", "CNAME", 3600, "bad_host!"),
    ],
)
def test_wrong_records_are_refused(name, kind, ttl, value):
    with pytest.raises(ValidationError):
        zone.clean_rrset("esempio.it", name, kind, ttl, [value], [])


def test_names_inside_the_zone_and_wildcards():
    assert zone.clean_name("", "esempio.it") == "esempio.it."
    assert zone.clean_name("www.esempio.it.", "esempio.it") == "www.esempio.it."
    assert zone.clean_name("*.shop", "esempio.it") == "*.shop.esempio.it."
