from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "sportello.helpdesk"
    verbose_name = _("Help desk")

    def ready(self):
        from . import inbound

        inbound.register()
