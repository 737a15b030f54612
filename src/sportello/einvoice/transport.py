"""How a FatturaPA file reaches the SdI: behind one interface, three channels.

- export: nothing is sent; the accountant gets a ZIP of a period's files with an index;
- PEC: the file attached to a PEC message to the SdI's address (DPR 633/72 art. 1 c. 3,
  "Specifiche tecniche" §3.3); the receipts come back by PEC;
- intermediary: Aruba's Electronic Invoicing API (documented at
  fatturazioneelettronica.aruba.it/apidoc): sign in, upload the file, read its
  notifications.

Secrets come from the environment, never from the database: EINVOICE_PEC_PASSWORD,
EINVOICE_INTERMEDIARY_PASSWORD."""

import base64
import csv
import io
import os
import smtplib
import ssl
import zipfile
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import httpx

from .models import EInvoice, EInvoiceSettings

TIMEOUT = 30


class TransportError(Exception):
    """The channel refused or could not take the file; nothing was sent."""


@dataclass
class Sent:
    remote_id: str  # the channel's name for the file (Aruba renames it), or the message id


class Channel(Protocol):
    name: str

    def send(self, filename: str, xml: bytes) -> Sent: ...


class PecChannel:
    name = "pec"

    def __init__(self, settings: EInvoiceSettings):
        self.settings = settings

    def send(self, filename: str, xml: bytes) -> Sent:
        s = self.settings
        if not (s.pec_address and s.pec_smtp_host):
            raise TransportError("PEC address and SMTP server are not configured")
        message = EmailMessage()
        message["From"] = s.pec_address
        message["To"] = s.sdi_pec_address
        message["Subject"] = f"Invio file {filename}"
        message.set_content(filename)
        message.add_attachment(xml, maintype="application", subtype="xml", filename=filename)
        password = os.environ.get("EINVOICE_PEC_PASSWORD", "")
        try:
            if s.pec_smtp_port == 465:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.pec_smtp_host, s.pec_smtp_port, timeout=TIMEOUT,
                    context=ssl.create_default_context(),
                )  # fmt: skip
            else:
                smtp = smtplib.SMTP(s.pec_smtp_host, s.pec_smtp_port, timeout=TIMEOUT)
                if smtp.has_extn("starttls"):
                    smtp.starttls(context=ssl.create_default_context())
            with smtp:
                if s.pec_username:
                    smtp.login(s.pec_username, password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise TransportError(f"PEC: {error}") from error
        return Sent(remote_id=filename)


class ArubaChannel:
    """Aruba's Electronic Invoicing API (v1): `POST /auth/signin`, `POST
    /services/invoice/upload`, `GET /services/notification/out/getByInvoiceFilename`."""

    name = "intermediary"

    def __init__(self, settings: EInvoiceSettings, client: httpx.Client | None = None):
        self.settings = settings
        self.http = client or httpx.Client(timeout=TIMEOUT)
        self._token = ""

    def _sign_in(self) -> str:
        if self._token:
            return self._token
        s = self.settings
        try:
            response = self.http.post(
                s.intermediary_auth_url.rstrip("/") + "/auth/signin",
                data={
                    "grant_type": "password",
                    "username": s.intermediary_username,
                    "password": os.environ.get("EINVOICE_INTERMEDIARY_PASSWORD", ""),
                },
            )
            response.raise_for_status()
            self._token = response.json()["access_token"]
        except (httpx.HTTPError, KeyError, ValueError) as error:
            raise TransportError(f"intermediary sign-in: {error}") from error
        return self._token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._sign_in()}"}

    def send(self, filename: str, xml: bytes) -> Sent:
        url = self.settings.intermediary_api_url.rstrip("/") + "/services/invoice/upload"
        try:
            response = self.http.post(
                url,
                json={"dataFile": base64.b64encode(xml).decode(), "credential": "", "domain": ""},
                headers=self._headers(),
            )
            response.raise_for_status()
            answer = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise TransportError(f"intermediary upload: {error}") from error
        if answer.get("errorCode") not in ("0000", None):
            raise TransportError(f"{answer.get('errorCode')}: {answer.get('errorDescription')}")
        return Sent(remote_id=answer.get("uploadFileName") or filename)

    def notifications(self, remote_filename: str) -> list[bytes]:
        """The SdI's notices about a file, as XML."""
        url = (
            self.settings.intermediary_api_url.rstrip("/")
            + "/services/notification/out/getByInvoiceFilename"
        )
        try:
            response = self.http.get(
                url,
                params={"invoiceFilename": remote_filename},
                headers=self._headers(),
            )
            response.raise_for_status()
            items = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise TransportError(f"intermediary notifications: {error}") from error
        if isinstance(items, dict):
            items = items.get("notifications", [])
        return [base64.b64decode(item["file"]) for item in items if item.get("file")]


def channel_for(settings: EInvoiceSettings) -> Channel | None:
    """The channel files leave by; None with the export for the accountant."""
    if settings.channel == EInvoiceSettings.Channel.PEC:
        return PecChannel(settings)
    if settings.channel == EInvoiceSettings.Channel.INTERMEDIARY:
        return ArubaChannel(settings)
    return None


def export_zip(einvoices: list[EInvoice]) -> bytes:
    """The files for the accountant, with an index (index.csv) of what each one is."""
    buffer = io.BytesIO()
    index = io.StringIO()
    writer = csv.writer(index)
    writer.writerow(["file", "type", "number", "date", "client", "total", "currency", "state"])
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for einvoice in einvoices:
            invoice = einvoice.invoice
            archive.writestr(einvoice.filename, einvoice.xml)
            writer.writerow(
                [
                    einvoice.filename, einvoice.document_type, invoice.display_number,
                    (invoice.numbered_on or invoice.issued_on or "").__str__(),
                    invoice.billing_name, f"{invoice.total:.2f}", invoice.currency,
                    einvoice.status,
                ]
            )  # fmt: skip
        archive.writestr("index.csv", index.getvalue())
    return buffer.getvalue()
