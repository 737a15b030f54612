"""What becomes a webhook event: the lower apps' signals, and saves of their rows, each
received inside the transaction that caused it."""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from sportello.billing.models import Invoice, Payment
from sportello.billing.signals import invoice_paid, invoices_numbered
from sportello.catalog.models import ProductType
from sportello.helpdesk.models import Message, Ticket
from sportello.helpdesk.signals import ticket_opened, ticket_status_changed
from sportello.services.models import Service
from sportello.services.signals import expiry_noticed, status_changed

from .events import emit

SERVICE_EVENTS: dict[str, str] = {
    Service.Status.SUSPENDED: "service.suspended",
    Service.Status.ON_HOLD: "service.suspended",
    Service.Status.EXPIRED: "service.suspended",
    Service.Status.ACTIVE: "service.reactivated",
    Service.Status.TERMINATED: "service.terminated",
    Service.Status.CANCELLED: "service.terminated",
}


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.pk,
        "number": invoice.display_number,
        "client_id": invoice.client_id,
        "kind": invoice.kind,
        "status": invoice.status,
        "currency": invoice.currency,
        "total": str(invoice.total),
        "amount_due": str(invoice.amount_due),
        "due_on": invoice.due_on.isoformat() if invoice.due_on else None,
    }


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    return {
        "code": ticket.code,
        "client_id": ticket.client_id,
        "status": ticket.status,
        "subject": ticket.subject,
        "department": ticket.department_id,
    }


@receiver(invoices_numbered)
def _invoices_issued(sender: Any, invoices: list[Invoice], **kwargs: Any) -> None:
    """Sent when invoices are issued, one by one or in a daily batch (credit notes too), and
    when a payment notice gets its fiscal number on payment: that one was issued before."""
    issued = [invoice for invoice in invoices if invoice.status != Invoice.Status.PAID]
    if issued:
        emit("invoice.issued", [(f"invoice:{i.pk}", invoice_data(i)) for i in issued])


@receiver(invoice_paid)
def _invoice_paid(sender: Any, invoice: Invoice, **kwargs: Any) -> None:
    emit("invoice.paid", [(f"invoice:{invoice.pk}", invoice_data(invoice))])


@receiver(post_save, sender=Payment)
def _payment_saved(sender: Any, instance: Payment, created: bool, **kwargs: Any) -> None:
    if created:
        data = {
            "id": instance.pk,
            "client_id": instance.client_id,
            "invoice_id": instance.invoice_id,
            "amount": str(instance.amount),
            "currency": "EUR",
            "received_on": instance.received_on.isoformat(),
            "method": instance.method,
        }
        emit("payment.received", [(f"client:{instance.client_id}", data)])


@receiver(status_changed)
def _service_status(sender: Any, service_ids: list[int], status: str, **kwargs: Any) -> None:
    event = SERVICE_EVENTS.get(status)
    if event is None or not service_ids:
        return
    services = Service.objects.filter(pk__in=service_ids).values("pk", "client_id", "name")
    emit(
        event,
        [
            (f"service:{row['pk']}", {"id": row["pk"], "client_id": row["client_id"],
                                      "name": row["name"], "status": status})
            for row in services
        ],
    )  # fmt: skip


@receiver(expiry_noticed)
def _domains_expiring(sender: Any, services: list[Service], days_before: int,
                      **kwargs: Any) -> None:  # fmt: skip
    """With each expiry notice of a domain before its expiry (the notice's claim makes it
    once per domain and notice, however often the job runs)."""
    if days_before < 0:
        return
    domains = [service for service in services if service.product.type == ProductType.DOMAIN]
    if domains:
        emit(
            "domain.expiring",
            [
                (f"service:{service.pk}", {
                    "id": service.pk, "client_id": service.client_id, "name": service.name,
                    "expires_on": service.expires_on.isoformat(), "days_left": days_before,
                })
                for service in domains
            ],
        )  # fmt: skip


@receiver(ticket_opened)
def _ticket_opened(sender: Any, ticket: Ticket, **kwargs: Any) -> None:
    emit("ticket.created", [(f"ticket:{ticket.pk}", ticket_data(ticket))])


@receiver(ticket_status_changed)
def _ticket_status(sender: Any, ticket: Ticket, status: str, **kwargs: Any) -> None:
    if status == Ticket.Status.CLOSED:
        emit("ticket.closed", [(f"ticket:{ticket.pk}", ticket_data(ticket))])


@receiver(post_save, sender=Message)
def _message_saved(sender: Any, instance: Message, created: bool, **kwargs: Any) -> None:
    if not created or instance.kind not in (Message.Kind.CLIENT, Message.Kind.STAFF):
        return
    ticket = instance.ticket
    if instance.kind == Message.Kind.CLIENT and instance.created_at == ticket.created_at:
        return  # the message that opened the ticket: ticket.created says it
    data = {**ticket_data(ticket), "message_id": instance.pk, "author_kind": instance.kind}
    emit("ticket.replied", [(f"ticket:{ticket.pk}", data)])
