"""GDPR: the client's archive prepared by the worker and linked by email; erasure by
staff, which anonymises the account and holds invoices and payments until their release
date; the daily job that releases them, twice without effect."""

import io
import json
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from sportello.accounts.models import Consent
from sportello.billing import actions as billing
from sportello.billing.models import Invoice
from sportello.catalog.models import ProductType
from sportello.privacy import actions, archive
from sportello.privacy.jobs import legal_holds
from sportello.privacy.models import DataRequest, LegalHold
from sportello.services.models import Service
from sportello.testing import make_product, make_service, make_staff, make_ticket

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


@pytest.fixture(autouse=True)
def _data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture
def account(owner):
    """A client with a service, an invoice paid, and a ticket."""
    make_service(owner, make_product("web", ProductType.HOSTING), name="olga.it")
    invoice = billing.create_invoice(
        owner, [billing.Line("Hosting", Decimal("100.00"))],
        datetime(2026, 3, 1, 10, tzinfo=ROME), send=False,
    )  # fmt: skip
    billing.record_payment(owner, invoice.total, date(2026, 3, 5), invoice=invoice)
    make_ticket(owner, subject="Sito olga.it lento")
    return owner


def test_the_client_gets_the_archive_by_email_and_downloads_it(
    client, account, django_capture_on_commit_callbacks
):
    account.owner.language = "en"
    account.owner.save()
    client.force_login(account.owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("portal:privacy_export"))
    data_request = account.data_requests.get()
    assert data_request.status == DataRequest.Status.READY
    mail = account.emails.get(template="data_export_ready")
    assert reverse("portal:privacy") in mail.body_text
    # Asking again while one is pending is refused; once ready a new one may be asked.
    response = client.get(reverse("portal:privacy"))
    url = reverse("portal:privacy_download", args=[data_request.pk])
    assert url in response.content.decode()
    response = client.get(url)
    zipped = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = zipped.namelist()
    assert {"README.txt", "profile.json", "services.json", "invoices.json", "payments.json",
            "emails.json", "consents.json", "login_history.json"} <= set(names)  # fmt: skip
    assert any(n.startswith("invoices/") and n.endswith(".pdf") for n in names)
    assert json.loads(zipped.read("profile.json"))["email"] == account.contact_email
    ticket_code = account.tickets.get().code
    ticket = json.loads(zipped.read(f"tickets/{ticket_code}/ticket.json"))
    assert ticket["subject"] == "Sito olga.it lento"
    assert json.loads(zipped.read("login_history.json"))  # the sign-in above


def test_the_archive_is_the_owners_only_and_expires(client, account, other_client):
    data_request = actions.request_export(account, timezone.now())
    archive.prepare_export(data_request.pk, timezone.now())
    assert archive.prepare_export(data_request.pk, timezone.now()) is None  # done once
    data_request.refresh_from_db()
    url = reverse("portal:privacy_download", args=[data_request.pk])
    client.force_login(other_client.owner)
    assert client.get(url).status_code == 404
    client.force_login(account.owner)
    assert client.get(url).status_code == 200
    path = archive.archive_path(data_request)
    later = timezone.now() + timedelta(days=archive.EXPORT_DAYS, hours=1)
    assert legal_holds(later, dry_run=True)["exports_expired"] == 1
    assert legal_holds(later)["exports_expired"] == 1
    assert legal_holds(later)["exports_expired"] == 0
    assert not path.exists()
    assert client.get(url).status_code == 404


def test_erasure_waits_for_services_to_end_then_holds_invoices_and_payments(client, account):
    Consent.objects.create(user=account.owner, client=account, document="terms", version="1",
                           accepted_at=timezone.now(), ip_address="192.0.2.7")  # fmt: skip
    client.force_login(account.owner)
    client.post(reverse("portal:privacy_erasure"))  # not confirmed
    assert not account.data_requests.exists()
    client.post(reverse("portal:privacy_erasure"), {"confirm": "on"})
    data_request = account.data_requests.get(kind="erasure")

    admin = make_staff("admin")
    admin.language = "en"
    admin.save()
    client.force_login(admin)
    listed = client.get(reverse("desk:data_requests")).content.decode()
    assert reverse("desk:data_request", args=[data_request.pk]) in listed
    detail = reverse("desk:data_request", args=[data_request.pk])
    client.post(detail, {"decision": "erase"})
    data_request.refresh_from_db()
    assert data_request.status == DataRequest.Status.PENDING  # a live service blocks it

    account.services.update(status=Service.Status.TERMINATED)
    with time_machine.travel(datetime(2026, 6, 1, 10, tzinfo=ROME)):
        client.post(detail, {"decision": "erase"})
    data_request.refresh_from_db()
    assert data_request.status == DataRequest.Status.DONE
    account.refresh_from_db()
    owner = account.owner
    assert "Olga" not in account.name and str(account.pk) in account.name and not account.address
    assert not owner.is_active and owner.email.endswith("@erased.invalid")
    [consent] = owner.consents.all()  # what was accepted stays; where from does not
    assert consent.version == "1" and consent.ip_address is None
    assert account.tickets.get().subject == "—"
    assert set(account.services.values_list("name", flat=True)) == {"—"}
    invoice = account.invoices.get()
    assert invoice.billing_name == "Olga Owner"  # kept by law until its release date
    holds = {(h.what, h.release_on) for h in LegalHold.objects.filter(client=account)}
    assert holds == {("invoice", date(2036, 3, 1)), ("payment", date(2036, 3, 5))}
    page = client.get(detail).content.decode()
    assert "Kept by law" in page

    # The daily job releases each hold on its day, once.
    before = datetime(2036, 3, 2, 6, tzinfo=ROME)
    assert legal_holds(before)["released"] == 1  # the invoice's
    assert Invoice.objects.get(pk=invoice.pk).billing_name == "—"
    assert legal_holds(before)["released"] == 0
    assert legal_holds(datetime(2036, 3, 6, 6, tzinfo=ROME))["released"] == 1
    assert not LegalHold.objects.filter(released_at__isnull=True).exists()


def test_staff_refuse_with_a_reason_the_client_reads(client, account):
    data_request = actions.request_erasure(account, timezone.now())
    client.force_login(make_staff("admin"))
    detail = reverse("desk:data_request", args=[data_request.pk])
    client.post(detail, {"decision": "refuse", "note": ""})
    data_request.refresh_from_db()
    assert data_request.status == DataRequest.Status.PENDING
    client.post(detail, {"decision": "refuse", "note": "Ongoing dispute"})
    data_request.refresh_from_db()
    assert data_request.status == DataRequest.Status.REFUSED
    client.force_login(account.owner)
    assert "Ongoing dispute" in client.get(reverse("portal:privacy")).content.decode()
