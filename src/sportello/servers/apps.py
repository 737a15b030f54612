from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServersConfig(AppConfig):
    name = "sportello.servers"
    verbose_name = _("Dedicated servers")
