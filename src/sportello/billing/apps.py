from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "sportello.billing"
    verbose_name = _("Billing")

    def ready(self):
        from sportello.mail.sender import register_invoice_renderer

        from .pdf import invoice_pdf

        register_invoice_renderer(invoice_pdf)
