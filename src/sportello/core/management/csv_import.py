from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


class CsvImportCommand(BaseCommand):
    """A command loading one CSV file all-or-nothing; a refused file is one line on stderr."""

    def add_arguments(self, parser):
        parser.add_argument("file")

    def load(self, text: str) -> int:
        raise NotImplementedError

    def done(self, count: int) -> str:
        raise NotImplementedError

    def handle(self, *args, file, **options):
        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(
                _("cannot read %(file)s: %(error)s") % {"file": file, "error": error}
            ) from error
        try:
            count = self.load(text)
        except ValidationError as error:
            raise CommandError(
                _("%(file)s: %(error)s (nothing imported)")
                % {"file": file, "error": error.messages[0]}
            ) from error
        self.stdout.write(self.done(count))
