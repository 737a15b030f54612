"""The billing staff's e-invoice pages, as a clerk uses them: export a month for the
accountant, upload the SdI's notice, send a rejected file again, correct it with a new
invoice; each of these leaves its row in the audit log."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sportello.core.models import AuditEvent
from sportello.einvoice import actions
from sportello.einvoice.models import EInvoice
from sportello.testing import User, make_staff

from .test_sdi_and_verifactu import company_invoice, receipt

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def upload(client, einvoice, notice):
    url = reverse("desk:einvoice", args=[einvoice.pk])
    file = SimpleUploadedFile("notice.xml", notice, content_type="application/xml")
    return client.post(url, {"action": "receipt", "file": file})


def export_month(client):
    return client.post(reverse("desk:einvoices"), {"month": "2026-03"})


def test_each_staff_action_on_an_einvoice_is_audited(client, italian_provider):
    clerk = make_staff(User.Role.BILLING)
    client.force_login(clerk)
    invoice = company_invoice()
    einvoice = actions.build(EInvoice.objects.get(invoice=invoice))

    response = export_month(client)
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert einvoice.filename in archive.namelist()
    exported = AuditEvent.objects.get(action=Action.EINVOICES_EXPORTED)
    assert exported.actor == clerk and exported.detail == "fatture-2026-03.zip (1)"

    rejected = einvoice.filename
    notice = receipt("NS", rejected, "9", errors=[("00311", "CodiceDestinatario non valido")])
    assert upload(client, einvoice, notice).status_code == 302
    assert upload(client, einvoice, notice).status_code == 302
    uploads = AuditEvent.objects.filter(action=Action.EINVOICE_RECEIPT_UPLOADED).order_by("id")
    assert [event.detail for event in uploads] == [
        f"NS 9 → {rejected}",
        f"NS 9 → {rejected} (already kept)",
    ]
    assert {event.client_id for event in uploads} == {invoice.client_id}
    einvoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.REJECTED

    url = reverse("desk:einvoice", args=[einvoice.pk])
    assert client.post(url, {"action": "resend"}).status_code == 302
    einvoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.TO_SEND and einvoice.filename != rejected
    resent = AuditEvent.objects.get(action=Action.EINVOICE_RESENT)
    assert resent.actor == clerk and resent.client_id == invoice.client_id
    assert resent.detail == f"{invoice.display_number}: {rejected} → {einvoice.filename}"

    export_month(client)
    upload(client, einvoice, receipt("NS", einvoice.filename, "10"))
    response = client.post(url, {"action": "correct"})
    einvoice.refresh_from_db()
    assert einvoice.status == EInvoice.Status.CORRECTED
    new = einvoice.corrected_by
    assert response["Location"] == reverse("desk:invoice", args=[new.pk])
    corrected = AuditEvent.objects.get(action=Action.EINVOICE_CORRECTED)
    assert corrected.actor == clerk and corrected.client_id == invoice.client_id
    assert new.display_number in corrected.detail and invoice.display_number in corrected.detail


def test_a_file_that_is_not_a_notice_is_a_form_error_and_not_audited(client, italian_provider):
    client.force_login(make_staff(User.Role.BILLING))
    einvoice = actions.build(EInvoice.objects.get(invoice=company_invoice()))
    response = upload(client, einvoice, b"<FatturaElettronica/>")
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.EINVOICE_RECEIPT_UPLOADED).exists()
