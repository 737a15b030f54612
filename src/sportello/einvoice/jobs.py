"""Scheduled e-invoice work: build and send new FatturaPA files, read the intermediary's
receipts, send VERI*FACTU records. Each step claims its rows under a lock and skips what
another run already did, so running twice sends nothing twice."""

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from sportello.automation.registry import Counts, job

from . import actions, transport
from .models import EInvoice, EInvoiceSettings, VerifactuRecord


@job("einvoices", label=_("Electronic invoices sent and receipts read"))
def send_einvoices(now: datetime, dry_run: bool = False) -> Counts:
    new = EInvoice.objects.filter(status=EInvoice.Status.NEW)
    settings = EInvoiceSettings.current()
    channel = transport.channel_for(settings)
    if dry_run:
        waiting = EInvoice.objects.filter(status=EInvoice.Status.TO_SEND).count()
        return {"built": new.count(), "sent": waiting if channel else 0}
    built = invalid = sent = failed = receipts = 0
    for einvoice in list(new):
        einvoice = actions.build(einvoice)
        built += 1
        invalid += einvoice.status == EInvoice.Status.INVALID
    if channel is not None:
        for einvoice in list(EInvoice.objects.filter(status=EInvoice.Status.TO_SEND)):
            try:
                after = actions.transmit(einvoice, now, channel)
            except transport.TransportError:
                failed += 1
                continue
            sent += after.status == EInvoice.Status.SENT and after.sent_at == now
        if isinstance(channel, transport.ArubaChannel):
            try:
                receipts = actions.poll_intermediary(channel, now)
            except transport.TransportError:
                failed += 1
    return {
        "built": built, "invalid": invalid, "sent": sent, "failed": failed,
        "receipts": receipts,
    }  # fmt: skip


@job("verifactu_records", label=_("VERI*FACTU records sent"))
def send_verifactu_records(now: datetime, dry_run: bool = False) -> Counts:
    pending = VerifactuRecord.objects.filter(status=VerifactuRecord.Status.PENDING)
    if dry_run:
        return {"sent": pending.count()}
    if not pending.exists():
        return {"sent": 0}
    return dict(actions.submit_records(now))
