from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "sportello.kb"
    label = "kb"
    verbose_name = _("Knowledge base")

    def ready(self):
        from . import jobs, signals  # noqa: F401  (registers the job and the index receivers)
