"""The archive of everything the client's account holds (GDPR art. 15 and 20): JSON files a
program can read, the invoices as PDF with their e-invoice XML, the tickets with their
attachments, and a README saying what each file is."""

import io
import json
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Model, Q

from sportello.accounts.actions import LOGIN_HISTORY
from sportello.accounts.models import Client
from sportello.billing.actions import pdf_filename
from sportello.billing.pdf import invoice_pdf
from sportello.core.models import AuditEvent
from sportello.einvoice.models import EInvoice
from sportello.helpdesk.models import Message


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(obj: Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _plain(getattr(obj, name)) for name in fields}


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()


README = """Your data, as {provider} holds it on {day}.

profile.json         your account: who you are, your address, language, preferences
contacts.json        the other people on your account
consents.json        what you agreed to and chose, with the dates
services.json        your services, their dates and prices
invoices.json        your invoices and credit notes; each one as PDF in invoices/,
                     with its electronic invoice (XML) when there is one
payments.json        the payments we received from you
tickets/             one folder per ticket: ticket.json with the messages, and the files
emails.json          every email we sent to your account
login_history.json   sign-ins, failed attempts and changes to how you sign in
"""


def build(client: Client, provider_name: str, today: date) -> bytes:
    owner = client.owner
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", README.format(provider=provider_name, day=today))
        profile = _row(client, ["name", "kind", "company_name", "fiscal_code", "vat_number",
                                "address", "postcode", "city", "province", "country", "phone",
                                "created_at", "news_by_email"])  # fmt: skip
        profile.update(email=owner.email, language=owner.language,
                       tier=client.tier.name if client.tier else "")  # fmt: skip
        archive.writestr("profile.json", _json(profile))
        archive.writestr("contacts.json", _json([
            _row(c, ["name", "email", "billing", "technical", "may_open_tickets", "created_at"])
            for c in client.contacts.all()
        ]))  # fmt: skip
        consent_events = client.audit_events.filter(
            action__in=[AuditEvent.Action.SIGNUP, AuditEvent.Action.EMAIL_CONFIRMED,
                        AuditEvent.Action.NOTIFICATIONS_CHANGED]
        )  # fmt: skip
        archive.writestr("consents.json", _json({
            "news_by_email": client.news_by_email,
            "accepted": [{"document": c.document, "version": c.version,
                          "at": _plain(c.accepted_at), "ip_address": c.ip_address}
                         for c in owner.consents.order_by("accepted_at", "id")],
            "events": [{"at": _plain(e.at), "what": str(e.get_action_display()),
                        "detail": e.detail} for e in consent_events],
        }))  # fmt: skip
        archive.writestr("services.json", _json([
            {**_row(s, ["name", "status", "registered_on", "expires_on", "renewal_policy",
                        "cycle_months", "price", "currency", "cancellation_effective_on"]),
             "product": s.product.name}
            for s in client.services.select_related("product")
        ]))  # fmt: skip
        invoices = list(client.invoices.exclude(status="draft").order_by("id"))
        xml = dict(
            EInvoice.objects.filter(invoice__in=invoices)
            .exclude(xml="")
            .values_list("invoice_id", "xml")
        )
        rows = []
        for invoice in invoices:
            name = pdf_filename(invoice)
            archive.writestr(f"invoices/{name}", invoice_pdf(invoice))
            row = {**_row(invoice, ["kind", "status", "issued_on", "due_on", "paid_on",
                                    "net_total", "vat_total", "total", "currency"]),
                   "number": invoice.display_number, "pdf": f"invoices/{name}"}  # fmt: skip
            if invoice.pk in xml:
                row["xml"] = f"invoices/{name.removesuffix('.pdf')}.xml"
                archive.writestr(row["xml"], xml[invoice.pk])
            rows.append(row)
        archive.writestr("invoices.json", _json(rows))
        archive.writestr("payments.json", _json([
            {**_row(p, ["received_on", "method", "amount", "original_amount",
                        "original_currency", "reference"]),
             "invoice": p.invoice.display_number if p.invoice else ""}
            for p in client.payments.select_related("invoice").order_by("received_on", "id")
        ]))  # fmt: skip
        for ticket in client.tickets.select_related("category").order_by("created_at"):
            messages = []
            for message in (
                ticket.messages.exclude(kind=Message.Kind.NOTE)
                .exclude(kind=Message.Kind.EVENT)
                .prefetch_related("attachments")
            ):
                files = []
                for attachment in message.attachments.all():
                    path = f"tickets/{ticket.code}/{attachment.pk}-{attachment.filename}"
                    try:
                        with attachment.file.open("rb") as handle:
                            archive.writestr(path, handle.read())
                    except OSError:
                        continue  # a file lost from the disk: the rest still goes out
                    files.append(path)
                messages.append({"at": _plain(message.created_at), "from": message.kind,
                                 "text": message.body, "files": files})  # fmt: skip
            archive.writestr(f"tickets/{ticket.code}/ticket.json", _json({
                **_row(ticket, ["code", "subject", "status", "priority", "created_at",
                                "closed_at", "satisfaction"]),
                "category": str(ticket.category.label), "messages": messages,
            }))  # fmt: skip
        archive.writestr("emails.json", _json([
            _row(e, ["created_at", "sent_at", "to_address", "subject", "body_text"])
            for e in client.emails.order_by("created_at", "id")
        ]))  # fmt: skip
        archive.writestr("login_history.json", _json([
            {"at": _plain(e.at), "what": str(e.get_action_display()), "ip": e.ip_address}
            for e in AuditEvent.objects.filter(
                Q(actor=owner, action__in=LOGIN_HISTORY)
                | Q(action=AuditEvent.Action.LOGIN_FAILED, detail__iexact=owner.email)
            ).order_by("at", "id")
        ]))  # fmt: skip
    return buffer.getvalue()
