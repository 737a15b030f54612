from django.utils.translation import gettext as _

from sportello.core.management.csv_import import CsvImportCommand
from sportello.services.usage import import_usage


class Command(CsvImportCommand):
    help = "Load disk usage per hosting service from a CSV file (service,used_mb); all or nothing."

    def load(self, text):
        return import_usage(text)

    def done(self, count):
        return _("%(count)s services updated.") % {"count": count}
