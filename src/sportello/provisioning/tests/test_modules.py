"""Each module against its stand-in (WHM, EPP registry) or the real PowerDNS: every
operation twice in a row, and again after a crash between the remote call and its record."""

from datetime import date, timedelta

import dns.message
import dns.query
import pytest
from django.utils import timezone

from sportello import testing
from sportello.catalog.models import ProductType
from sportello.provisioning import actions, dispatch
from sportello.provisioning.models import Account, Operation, ProductModule, Server
from sportello.services.models import ProvisioningTask, Service
from sportello.services.provisioning import ask_staff

pytestmark = pytest.mark.django_db


def whm_server(whm):
    return Server.objects.create(name="whm1", module="cpanel", url=whm.url, username="root",
                                 secret=whm.token)  # fmt: skip


def pdns_server(powerdns):
    return Server.objects.create(
        name="dns", module="powerdns", url=powerdns.url, secret=powerdns.api_key,
        options={"nameservers": ["ns1.sportello.example", "ns2.sportello.example"],
                 "default_ip": "192.0.2.20"},
    )  # fmt: skip


def epp_server(registry):
    return Server.objects.create(
        name="registry", module="epp", url=registry.url, username=registry.client_id,
        secret=registry.password,
        options={"cafile": str(registry.cafile), "nameservers": ["ns1.sportello.example"],
                 "it_extensions": True},
    )  # fmt: skip


def pending_service(product, name, client=None):
    client = client or testing.make_client("mario@example.org", name="Mario Rossi",
                                           fiscal_code="RSSMRA80A01F205X")  # fmt: skip
    return testing.make_service(client, product, name=name, status=Service.Status.PENDING,
                                registered_on=timezone.localdate())  # fmt: skip


def run_all():
    for pk in actions.due_operations(timezone.now()):
        actions.run(pk, timezone.now())


def test_cpanel_account_created_once_suspended_and_removed(whm, django_capture_on_commit_callbacks):
    hosting = testing.make_product("pro", ProductType.HOSTING)
    ProductModule.objects.create(product=hosting, server=whm_server(whm), package="pro_plan")
    service = pending_service(hosting, "rossi.it")
    today = timezone.localdate()

    with django_capture_on_commit_callbacks(execute=True):
        dispatch.activate([service], today)
        dispatch.activate([service], today)  # asked twice: one operation
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE
    assert list(whm.accounts) == [actions.username_for(service)]
    assert whm.accounts[actions.username_for(service)]["plan"] == "pro_plan"
    assert Operation.objects.get().status == Operation.Status.DONE

    # The daily job suspends it twice the same day: one suspension at WHM, no staff task.
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            ask_staff([service.pk], Service.Status.SUSPENDED, today)
    assert whm.accounts[actions.username_for(service)]["suspended"] == 1
    assert [c for c, _p in whm.calls].count("suspendacct") == 1
    assert not ProvisioningTask.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        ask_staff([service.pk], Service.Status.ACTIVE, today)
    assert whm.accounts[actions.username_for(service)]["suspended"] == 0
    assert actions.sso_url(service).startswith("https://")
    usage = actions.usage(service)
    assert usage.disk_used_mb == 14 and usage.bandwidth_used_mb == 5

    with django_capture_on_commit_callbacks(execute=True):
        ask_staff([service.pk], Service.Status.TERMINATED, today + timedelta(days=1))
    assert whm.accounts == {}
    assert Account.objects.get().state == Account.State.REMOVED


def test_a_crash_after_the_remote_call_creates_one_account(whm):
    hosting = testing.make_product("pro", ProductType.HOSTING)
    ProductModule.objects.create(product=hosting, server=whm_server(whm), package="pro")
    service = pending_service(hosting, "crash.it")
    ids, _handled = actions.queue([service.pk], Operation.Action.CREATE, "activation")
    # The worker created the account and died before recording it.
    operation = actions.claim(ids[0], timezone.now())
    whm.answer("createacct", {"username": actions.username_for(service), "domain": "crash.it"})
    assert actions.run(ids[0], timezone.now()) is None  # still running: not taken twice

    later = timezone.now() + actions.STALE_AFTER + timedelta(minutes=1)
    assert actions.due_operations(later) == [operation.pk]
    actions.run(operation.pk, later)
    assert len(whm.accounts) == 1
    # The retry found the account and adopted it instead of creating it again.
    assert [c for c, _p in whm.calls] == ["listaccts"]
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE


def test_a_failure_waits_in_the_desk_with_the_module_error_and_is_retried(whm):
    hosting = testing.make_product("pro", ProductType.HOSTING)
    ProductModule.objects.create(product=hosting, server=whm_server(whm), package="pro")
    service = pending_service(hosting, "later.it")
    whm.fail_next = "createacct"
    ids, _handled = actions.queue([service.pk], Operation.Action.CREATE, "activation")
    operation = actions.run(ids[0], timezone.now())
    assert operation.status == Operation.Status.FAILED
    assert "Temporary failure" in operation.error
    service.refresh_from_db()
    assert service.status == Service.Status.PENDING  # not active until created
    run_all()
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE


def test_services_without_a_module_still_get_a_staff_task():
    service = testing.make_service(testing.make_client("x@example.org"), name="plain.it")
    ask_staff([service.pk], Service.Status.SUSPENDED, date(2026, 3, 1))
    assert ProvisioningTask.objects.get().action == ProvisioningTask.Action.SUSPEND


def test_manual_module_waits_for_staff(django_capture_on_commit_callbacks):
    product = testing.make_product("ssl", ProductType.SSL)
    ProductModule.objects.create(
        product=product, server=Server.objects.create(name="hand", module="manual")
    )
    service = pending_service(product, "ssl rossi.it")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.activate([service], timezone.localdate())
    operation = Operation.objects.get()
    assert operation.status == Operation.Status.STAFF
    dispatch.mark_done(operation, testing.make_staff(), timezone.now())
    service.refresh_from_db()
    assert service.status == Service.Status.ACTIVE


def test_powerdns_zone_created_once_kept_while_suspended_and_deleted(
    powerdns, django_capture_on_commit_callbacks
):
    hosting = testing.make_product("pro", ProductType.HOSTING)
    ProductModule.objects.create(product=hosting, server=pdns_server(powerdns))
    service = pending_service(hosting, "zona-test.it")
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.activate([service], today)
    # Created again after a crash: the zone exists already (409) and is adopted.
    ids, _h = actions.queue([service.pk], Operation.Action.CREATE, "again")
    assert actions.run(ids[0], timezone.now()).status == Operation.Status.DONE

    query = dns.message.make_query("www.zona-test.it", "A")
    answer = dns.query.udp(query, "127.0.0.1", port=powerdns.dns_port, timeout=5)
    assert [str(r) for rrset in answer.answer for r in rrset] == ["192.0.2.20"]

    with django_capture_on_commit_callbacks(execute=True):
        ask_staff([service.pk], Service.Status.SUSPENDED, today)
    module = Server.objects.get().connect()
    assert module.zone("zona-test.it") is not None  # the zone stays while suspended

    with django_capture_on_commit_callbacks(execute=True):
        ask_staff([service.pk], Service.Status.TERMINATED, today)
    assert module.zone("zona-test.it") is None


def test_epp_registration_check_info_hold_and_expiry_sync(
    registry, django_capture_on_commit_callbacks
):
    domain = testing.make_product("dom-it", ProductType.DOMAIN, "12.90")
    ProductModule.objects.create(product=domain, server=epp_server(registry), package="it")
    registry.domains["presa.it"] = {"clID": "OTHER", "exDate": "2027-01-01", "statuses": [],
                                    "ns": [], "pw": "x"}  # fmt: skip
    assert actions.check_domains(["libero.it", "presa.it"]) == {
        "libero.it": True,
        "presa.it": False,
    }

    service = pending_service(domain, "libero.it")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.activate([service], timezone.localdate())
        dispatch.activate([service], timezone.localdate())
    assert registry.domains["libero.it"]["clID"] == "SPORTELLO"
    assert registry.commands.count("create:domain") == 1
    assert registry.contacts[f"SP{service.client_id}"]["extension"]  # .it extcon sent
    # A crash after the registry answered: created again, the domain is adopted.
    ids, _h = actions.queue([service.pk], Operation.Action.CREATE, "again")
    actions.run(ids[0], timezone.now())
    assert registry.commands.count("create:domain") == 1

    with django_capture_on_commit_callbacks(execute=True):
        ask_staff([service.pk], Service.Status.ON_HOLD, timezone.localdate())
        ask_staff([service.pk], Service.Status.ON_HOLD, timezone.localdate())
    assert registry.domains["libero.it"]["statuses"] == ["clientHold"]

    info = actions.domain_info(service)
    assert info.ours and info.auth_code and info.nameservers == ["ns1.sportello.example"]
    actions.set_nameservers(service, ["ns1.other.example", "ns2.other.example"])
    assert sorted(registry.domains["libero.it"]["ns"]) == ["ns1.other.example", "ns2.other.example"]

    # The registry's expiry wins over the local one, and the difference is flagged.
    from sportello.provisioning.jobs import domain_expiry_sync

    registry.domains["libero.it"]["exDate"] = "2031-05-05"
    assert domain_expiry_sync(timezone.now())["corrected"] == 1
    assert domain_expiry_sync(timezone.now())["corrected"] == 0
    service.refresh_from_db()
    assert service.expires_on == date(2031, 5, 5)
    assert Account.objects.get().expiry_corrected_from is not None


def test_epp_transfer_with_the_auth_code(registry, django_capture_on_commit_callbacks):
    domain = testing.make_product("dom-it", ProductType.DOMAIN, "12.90")
    ProductModule.objects.create(product=domain, server=epp_server(registry), package="it")
    registry.domains["mio.it"] = {"clID": "OTHER", "exDate": "2027-01-01", "statuses": [],
                                  "ns": [], "pw": "AUTH-123"}  # fmt: skip
    wrong = pending_service(domain, "mio.it")
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.activate([wrong], timezone.localdate(), {wrong.pk: {"auth_code": "bad"}})
    operation = Operation.objects.get()
    assert operation.status == Operation.Status.FAILED and "2202" in operation.error

    Operation.objects.update(params={"auth_code": "AUTH-123"})
    dispatch.retry(operation)
    actions.run(operation.pk, timezone.now())
    assert registry.domains["mio.it"]["pending"] == "SPORTELLO"
