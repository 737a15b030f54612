"""sportello estimate --level junior --start 2026-12-08T10:00 --minutes 45 [--urgent]
[--planned] [--simple] [--json]: the free preliminary estimate (EXT-7)."""

import json
from datetime import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sportello.extra.pricing import Kind, price


class Command(BaseCommand):
    help = "Price extra-contract work from the rate card: total and breakdown, net of VAT."

    def add_arguments(self, parser):
        parser.add_argument("--level", required=True, choices=["junior", "senior"])
        parser.add_argument("--start", required=True, help="YYYY-MM-DDTHH:MM, provider's time")
        parser.add_argument("--minutes", required=True, type=int)
        parser.add_argument("--urgent", action="store_true")
        parser.add_argument("--planned", action="store_true")
        parser.add_argument("--simple", action="store_true", help="simple on-duty help")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        try:
            start = datetime.fromisoformat(options["start"])
        except ValueError:
            raise CommandError(f"--start: not a date and time: {options['start']}") from None
        if timezone.is_naive(start):
            start = timezone.make_aware(start)
        try:
            kind = Kind(urgent=options["urgent"], planned=options["planned"],
                        simple=options["simple"])  # fmt: skip
            breakdown = price(options["level"], kind, start, options["minutes"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if options["json"]:
            data = {"total": f"{breakdown.total:.2f}", "currency": "EUR", "net_of_vat": True,
                    "breakdown": breakdown.as_dict()}  # fmt: skip
            self.stdout.write(json.dumps(data, indent=2))
            return
        self.stdout.write(breakdown.summary())
        for part in breakdown.parts():
            self.stdout.write(f"  {part}")
        self.stdout.write(f"{breakdown.total:.2f} EUR + VAT")
