from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "sportello.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from . import jobs  # noqa: F401  (registers the daily job)
