from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "sportello.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from sportello.billing.signals import invoices_numbered

        from .receivers import on_invoices_numbered

        invoices_numbered.connect(on_invoices_numbered, dispatch_uid="reports")
