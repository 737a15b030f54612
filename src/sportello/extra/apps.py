from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExtraConfig(AppConfig):
    name = "sportello.extra"
    label = "extra"
    verbose_name = _("Extra-contract assistance")

    def ready(self):
        from . import jobs, receivers  # noqa: F401  (registers the job and the ticket hooks)
