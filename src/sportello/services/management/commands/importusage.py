from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sportello.services.usage import import_usage


class Command(BaseCommand):
    help = "Load disk usage per hosting service from a CSV file (service,used_mb); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                _("cannot read %(file)s: %(error)s") % {"file": file, "error": error}
            ) from error
        try:
            count = import_usage(text)
        except ValidationError as error:
            raise CommandError(
                _("%(file)s: %(error)s (nothing imported)")
                % {"file": file, "error": error.messages[0]}
            ) from error
        self.stdout.write(_("%(count)s services updated.") % {"count": count})
