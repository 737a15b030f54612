from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "sportello.payments"
    label = "payments"
    verbose_name = _("Online payments")

    def ready(self):
        from sportello.billing.blocks import register_client_block, register_invoice_block

        from . import jobs  # noqa: F401  (registers the jobs)
        from .blocks import client_block, invoice_block

        register_invoice_block(invoice_block)
        register_client_block(client_block)
