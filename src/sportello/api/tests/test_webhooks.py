"""Webhooks against a local receiver speaking real HTTP: signatures verified with the
standardwebhooks library, retries after errors and timeouts, the same id on every
attempt, an object's events in order, targets in private networks refused."""

import json
import socket
import threading
import time
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from sportello.api import actions, delivery, jobs
from sportello.api.models import WebhookDelivery, WebhookEndpoint
from sportello.billing import actions as billing
from sportello.helpdesk import actions as helpdesk
from sportello.mail.models import OutboundEmail
from sportello.services.models import Service
from sportello.services.provisioning import ask_staff

pytestmark = pytest.mark.django_db


class Receiver:
    """Records what it is sent; answers with the queued statuses (then 200), after an
    optional delay."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        self.delays: list[float] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers.items()), body))
                if receiver.delays:
                    time.sleep(receiver.delays.pop(0))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"boom")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[str]:
        return [json.loads(body)["type"] for _headers, body in self.received]


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = Receiver()
    yield server
    server.server.shutdown()


def endpoint_for(receiver, world, events) -> WebhookEndpoint:
    return actions.create_endpoint(receiver.url, events, actor=world.admin)


def test_an_issued_invoice_is_sent_signed(receiver, world, django_capture_on_commit_callbacks):
    endpoint = endpoint_for(receiver, world, ["invoice.issued", "invoice.paid"])
    with django_capture_on_commit_callbacks(execute=True):
        billing.issue_invoice(world.draft, timezone.now(), send=False)
    assert receiver.events() == ["invoice.issued"]
    headers, body = receiver.received[0]
    payload = Webhook(endpoint.secret).verify(body, headers)
    assert payload["data"]["id"] == world.draft.pk and payload["data"]["number"]
    sent = WebhookDelivery.objects.get()
    assert sent.status == WebhookDelivery.Status.DELIVERED
    assert headers["webhook-id"] == sent.message_id
    assert sent.tries.get().status_code == 200


def test_retried_after_an_error_and_a_timeout_with_the_same_id(
    receiver, world, django_capture_on_commit_callbacks
):
    endpoint_for(receiver, world, ["payment.received"])
    receiver.statuses = [500]
    receiver.delays = [0, 3]  # the second attempt outlasts the 1 s timeout
    with django_capture_on_commit_callbacks(execute=True):
        billing.record_payment(world.client_a, Decimal("5.00"), timezone.localdate())
    row = WebhookDelivery.objects.get()
    assert row.status == WebhookDelivery.Status.PENDING and row.attempts == 1
    assert row.last_status_code == 500
    later = timezone.now() + timedelta(seconds=10)
    assert jobs.send_due_webhooks(later)["delivered"] == 0  # timed out
    row.refresh_from_db()
    assert row.attempts == 2 and "Timeout" in row.tries.last().error
    assert row.next_attempt_at == later + delivery.backoff(2)
    assert jobs.send_due_webhooks(later + timedelta(hours=1))["delivered"] == 1
    ids = {headers["webhook-id"] for headers, _body in receiver.received}
    assert ids == {row.message_id} and len(receiver.received) == 3


def test_given_up_after_three_days(receiver, world, django_capture_on_commit_callbacks):
    endpoint_for(receiver, world, ["payment.received"])
    receiver.statuses = [503] * 20
    with django_capture_on_commit_callbacks(execute=True):
        billing.record_payment(world.client_a, Decimal("5.00"), timezone.localdate())
    moment = timezone.now()
    while WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).exists():
        moment += timedelta(hours=11)
        jobs.send_due_webhooks(moment)
    row = WebhookDelivery.objects.get()
    assert row.status == WebhookDelivery.Status.FAILED
    assert row.created_at + timedelta(days=3) >= row.tries.last().at


def test_an_objects_events_keep_their_order(receiver, world, django_capture_on_commit_callbacks):
    endpoint_for(receiver, world, ["ticket.replied", "ticket.closed"])
    receiver.statuses = [500]
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.reply_as_staff(world.ticket, world.agent, "Risolto?", now)
    with django_capture_on_commit_callbacks(execute=True):
        helpdesk.set_status(world.ticket, world.agent, "closed", now)
    # The reply failed: the closing waits behind it.
    assert receiver.events() == ["ticket.replied"]
    jobs.send_due_webhooks(now + timedelta(minutes=1))
    assert receiver.events() == ["ticket.replied", "ticket.replied", "ticket.closed"]


def test_the_events_of_tickets_and_services(receiver, world, django_capture_on_commit_callbacks):
    endpoint_for(receiver, world, ["ticket.created", "service.suspended", "service.reactivated"])
    from sportello import testing

    with django_capture_on_commit_callbacks(execute=True):
        testing.make_ticket(world.client_a, subject="La posta non parte da ieri sera")
    with django_capture_on_commit_callbacks(execute=True):
        ask_staff([world.service.pk], Service.Status.SUSPENDED, timezone.localdate())
    with django_capture_on_commit_callbacks(execute=True):
        ask_staff([world.service.pk], Service.Status.ACTIVE, timezone.localdate())
    assert receiver.events() == ["ticket.created", "service.suspended", "service.reactivated"]
    data = json.loads(receiver.received[1][1])["data"]
    assert data == {"id": world.service.pk, "client_id": world.client_a.pk,
                    "name": world.service.name, "status": "suspended"}  # fmt: skip


def test_a_rolled_back_action_sends_nothing(receiver, world, django_capture_on_commit_callbacks):
    endpoint_for(receiver, world, ["payment.received"])
    with pytest.raises(ValidationError), django_capture_on_commit_callbacks(execute=True):
        billing.record_payment(world.client_a, Decimal("0"), timezone.localdate())
    assert not WebhookDelivery.objects.exists() and receiver.received == []


def test_a_rotated_secret_signs_alongside_the_old_one_for_a_day(
    receiver, world, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, world, ["payment.received"])
    old = endpoint.secret
    endpoint = actions.rotate_secret(endpoint, world.admin, timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        billing.record_payment(world.client_a, Decimal("5.00"), timezone.localdate())
    headers, body = receiver.received[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(endpoint.secret).verify(body, headers)
    assert endpoint.secrets(timezone.now() + timedelta(days=2)) == [endpoint.secret]


def test_staff_replay_a_delivery_with_its_id(receiver, world, django_capture_on_commit_callbacks):
    endpoint_for(receiver, world, ["payment.received"])
    with django_capture_on_commit_callbacks(execute=True):
        billing.record_payment(world.client_a, Decimal("5.00"), timezone.localdate())
    row = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        actions.replay(row, world.admin, timezone.now())
    first, second = (headers["webhook-id"] for headers, _body in receiver.received)
    assert first == second == row.message_id


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hooks", "http://10.1.2.3/", "http://[::1]/", "http://169.254.169.254/",
    "http://localhost:8000/", "ftp://example.org/", "http://user:pw@example.org/",
])  # fmt: skip
def test_targets_in_private_networks_are_refused(world, url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(ValidationError):
        actions.create_endpoint(url, ["invoice.paid"], actor=world.admin)


def test_an_endpoint_failing_for_days_is_disabled_and_admins_told(world, receiver):
    endpoint = endpoint_for(receiver, world, ["invoice.paid"])
    now = timezone.now()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now - timedelta(days=4))
    assert jobs.disable_failing_endpoints(now, dry_run=True)["disabled"] == 1
    assert jobs.disable_failing_endpoints(now)["disabled"] == 1
    assert jobs.disable_failing_endpoints(now)["disabled"] == 0  # run twice: once
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at == now
    mail = OutboundEmail.objects.get(template="webhook_disabled")
    assert mail.to_address == world.admin.email and receiver.url in mail.body_text


def test_old_idempotency_keys_and_rate_windows_are_forgotten(client, world, settings):
    from sportello.api.models import IdempotencyRecord, RateWindow

    settings.REDIS_URL = None  # the limiter counts in the database

    raw = world.token(world.admin)
    client.get("/api/v1/clients", HTTP_AUTHORIZATION=f"Bearer {raw}")
    token = world.admin.api_tokens.get()
    IdempotencyRecord.objects.create(token=token, key="k", fingerprint="f", status_code=201)
    later = timezone.now() + timedelta(days=2)
    assert jobs.forget_api_records(later, dry_run=True) == {"keys": 1, "windows": 1}
    assert jobs.forget_api_records(later) == {"keys": 1, "windows": 1}
    assert not IdempotencyRecord.objects.exists() and not RateWindow.objects.exists()
    assert jobs.forget_api_records(later) == {"keys": 0, "windows": 0}


def test_invoices_issued_by_the_daily_run_are_sent(
    receiver, world, django_capture_on_commit_callbacks
):
    endpoint_for(receiver, world, ["invoice.issued"])
    lines = [billing.Line("Rinnovo hosting", Decimal("49.00"))]
    with django_capture_on_commit_callbacks(execute=True):
        issued = billing.create_invoices([(world.client_a, lines), (world.client_b, lines)],
                                         timezone.now())  # fmt: skip
    sent = sorted(json.loads(body)["data"]["id"] for _headers, body in receiver.received)
    assert sent == sorted(invoice.pk for invoice in issued)


def test_a_name_that_rebinds_to_a_private_address_is_not_reached(
    receiver, world, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The name answered a public address when the delivery was checked and the local
    receiver's address afterwards: the request goes to the address that was checked."""
    port = receiver.server.server_address[1]
    endpoint = endpoint_for(receiver, world, ["payment.received"])
    endpoint.url = f"http://hooks.rebind.example:{port}/hooks"
    endpoint.save()
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    answers = iter(["192.0.2.80", "127.0.0.1"])  # the check's answer, then the rebound one
    original = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "hooks.rebind.example":
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return original(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr("sportello.api.targets._is_public", lambda address: address != "127.0.0.1")
    with django_capture_on_commit_callbacks(execute=True):
        billing.record_payment(world.client_a, Decimal("5.00"), timezone.localdate())
    row = WebhookDelivery.objects.get()
    assert receiver.received == [] and row.status == WebhookDelivery.Status.PENDING
    assert row.tries.get().error  # the checked address did not answer


def test_the_checked_address_is_the_one_connected_to(
    receiver, world, monkeypatch, django_capture_on_commit_callbacks
):
    """A name, resolved once: the request reaches the receiver by its address, with the
    name in Host."""
    port = receiver.server.server_address[1]
    endpoint = endpoint_for(receiver, world, ["payment.received"])
    endpoint.url = f"http://hooks.example.org:{port}/hooks"
    endpoint.save()
    original = socket.getaddrinfo
    lookups = []

    def resolver(host, port, *args, **kwargs):
        if host == "hooks.example.org":
            lookups.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return original(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with django_capture_on_commit_callbacks(execute=True):
        billing.record_payment(world.client_a, Decimal("5.00"), timezone.localdate())
    assert len(receiver.received) == 1 and len(lookups) == 1
    headers, _body = receiver.received[0]
    assert headers["Host"] == f"hooks.example.org:{port}"


def test_a_domain_expiring_is_sent_once_per_notice(
    receiver, world, django_capture_on_commit_callbacks
):
    from sportello import testing
    from sportello.services.jobs import expiry_notices
    from sportello.services.models import RenewalTerms

    endpoint_for(receiver, world, ["domain.expiring"])
    RenewalTerms.objects.update_or_create(product_type="domain",
                                          defaults={"notice_days": "60,-5"})  # fmt: skip
    RenewalTerms.objects.update_or_create(product_type="hosting", defaults={"notice_days": "60"})
    now = timezone.now()
    in_60 = timezone.localdate(now) + timedelta(days=60)
    domain = testing.make_service(world.client_a, testing.make_product(type="domain"),
                                  name="anna.it")  # fmt: skip
    Service.objects.filter(pk=domain.pk).update(expires_on=in_60)
    Service.objects.filter(pk=world.service.pk).update(expires_on=in_60)  # hosting: no event
    for _run in range(2):  # the job may run twice a day
        with django_capture_on_commit_callbacks(execute=True):
            expiry_notices(now)
    assert receiver.events() == ["domain.expiring"]
    data = json.loads(receiver.received[0][1])["data"]
    assert data == {"id": domain.pk, "client_id": world.client_a.pk, "name": "anna.it",
                    "expires_on": in_60.isoformat(), "days_left": 60}  # fmt: skip
    # The notice after expiry is not "expiring": nothing more is sent.
    later = now + timedelta(days=65)
    with django_capture_on_commit_callbacks(execute=True):
        expiry_notices(later)
    assert receiver.events() == ["domain.expiring"]
