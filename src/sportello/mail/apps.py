from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "sportello.mail"
    verbose_name = _("Mail")

    def ready(self):
        from . import checks  # noqa: F401  (registers the deployment checks)
