from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "sportello.automation"
    verbose_name = _("Scheduled jobs")

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        # Each app's jobs.py registers its daily jobs with @registry.job.
        autodiscover_modules("jobs")
        from . import checks  # noqa: F401  (registers the deployment checks)
