from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "sportello.api"
    label = "api"
    verbose_name = _("API and webhooks")

    def ready(self) -> None:
        from . import receivers, tasks  # noqa: F401  (signal receivers, worker tasks)
