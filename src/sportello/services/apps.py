from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "sportello.services"
    verbose_name = _("Services")

    def ready(self):
        from . import renewals  # noqa: F401  (connects the invoice-paid receiver)
