from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EInvoiceConfig(AppConfig):
    name = "sportello.einvoice"
    label = "einvoice"
    verbose_name = _("Electronic invoices")

    def ready(self):
        from sportello.accounts.actions import invoice_delivery_given
        from sportello.billing.actions import register_draft_lines
        from sportello.billing.blocks import register_invoice_block
        from sportello.billing.signals import invoices_numbered

        from .actions import stamp_duty_lines
        from .blocks import invoice_block
        from .receivers import on_invoice_delivery_given, on_invoices_numbered

        invoices_numbered.connect(on_invoices_numbered, dispatch_uid="einvoice")
        invoice_delivery_given.connect(on_invoice_delivery_given, dispatch_uid="einvoice")
        register_invoice_block(invoice_block)
        register_draft_lines(stamp_duty_lines)
