from django.utils.translation import gettext as _

from sportello.billing.rates import import_rates
from sportello.core.management.csv_import import CsvImportCommand


class Command(CsvImportCommand):
    help = (
        "Import daily exchange rates from a CSV file (date,currency,rate per euro); all or nothing."
    )

    def load(self, text):
        return import_rates(text)

    def done(self, count):
        return _("%(count)s exchange rates imported.") % {"count": count}
