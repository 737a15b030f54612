from urllib.parse import urlsplit

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def site_follows_site_url(using="default", **kwargs):
    """Feeds and account mails name the site by its Site row: keep it on SITE_URL's host
    rather than Django's example.com."""
    from django.conf import settings
    from django.contrib.sites.models import Site

    host = urlsplit(settings.SITE_URL).netloc
    if host:
        Site.objects.using(using).update_or_create(
            pk=settings.SITE_ID, defaults={"domain": host, "name": host}
        )


class CoreConfig(AppConfig):
    name = "sportello.core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import checks  # noqa: F401  (registers the deployment checks)
        from .calendar import forget_office_calendar
        from .models import ClosingDay, OfficeCalendar

        post_migrate.connect(site_follows_site_url, sender=self)
        for model in (ClosingDay, OfficeCalendar):
            post_save.connect(forget_office_calendar, sender=model)
            post_delete.connect(forget_office_calendar, sender=model)
