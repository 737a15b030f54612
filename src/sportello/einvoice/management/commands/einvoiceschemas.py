from django.core.management.base import BaseCommand, CommandError

from sportello.einvoice.schemas import SchemaUnavailable, fetch_schemas


class Command(BaseCommand):
    help = "Fetch the official FatturaPA schema (XSD 1.2.3) into the data directory."

    def handle(self, *args, **options):
        try:
            folder = fetch_schemas()
        except SchemaUnavailable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(str(folder))
