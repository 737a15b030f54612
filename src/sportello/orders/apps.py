from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "sportello.orders"
    verbose_name = _("Orders")

    def ready(self):
        from . import receivers  # noqa: F401  (connects the invoice-paid receiver)
