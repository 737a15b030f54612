import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sportello.automation import registry


class Command(BaseCommand):
    help = "Run the scheduled jobs as of a day (default today); safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="business day, YYYY-MM-DD")
        parser.add_argument("--dry-run", action="store_true", help="change nothing, report")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print one JSON object"
        )
        parser.add_argument("--only", action="append", help="run only this job (repeatable)")

    def handle(self, *args, date=None, dry_run=False, as_json=False, only=None, **options):
        day = self.parse_day(date)
        unknown = sorted(set(only or []) - set(registry.JOBS))
        if unknown:
            raise CommandError(
                f"unknown job {', '.join(unknown)}; jobs are: {', '.join(registry.JOBS)}"
            )
        now = registry.run_time(day) if date else timezone.now()
        results = registry.run_day(now, dry_run=dry_run, only=only)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {"date": day.isoformat(), "dry_run": dry_run, "jobs": results}, default=str
                )
            )
        else:
            for name, result in results.items():
                counts = ", ".join(f"{k} {v}" for k, v in result["counts"].items()) or "nothing"
                errors = f" — errors: {'; '.join(result['errors'])}" if result["errors"] else ""
                self.stdout.write(f"{name}: {counts}{errors}")
        if any(result["errors"] for result in results.values()):
            raise CommandError("some jobs failed; see above")

    @staticmethod
    def parse_day(value: str | None) -> date:
        if value is None:
            return timezone.localdate()
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from None
