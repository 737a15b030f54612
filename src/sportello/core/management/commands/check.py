"""Django's `check`, and with `--deploy` one line per problem: level, id, what is wrong and
what to do, so the output reads as a to-do list and greps well. The exit status is non-zero
for any error (or what --fail-level names)."""

from django.core import checks
from django.core.management.base import CommandError
from django.core.management.commands import check

LEVELS = {
    checks.DEBUG: "DEBUG",
    checks.INFO: "INFO",
    checks.WARNING: "WARNING",
    checks.ERROR: "ERROR",
    checks.CRITICAL: "CRITICAL",
}


# Django's deployment warnings say which Django setting to change; here they are set from the
# environment (README, "Configuration"), so the hint names the variable.
HTTPS_HINT = "terminate TLS in the reverse proxy and set HTTPS=1"
HINTS = {
    "security.W004": HTTPS_HINT,
    "security.W008": HTTPS_HINT,
    "security.W012": HTTPS_HINT,
    "security.W016": HTTPS_HINT,
    "security.W005": "set HSTS_INCLUDE_SUBDOMAINS=1 once every subdomain serves HTTPS",
    "security.W021": "a choice: preloading needs HSTS on every subdomain and a submission to "
    "the browsers' preload list; leave it if you have not decided",
    "security.W009": "set SECRET_KEY (50 random characters or more), or remove the "
    "secret_key file of the data directory to have one generated",
    "security.W018": "unset DEBUG",
    "security.W020": "set ALLOWED_HOSTS to the panel's host name",
    "async.E001": "remove DJANGO_ALLOW_ASYNC_UNSAFE from the service's environment",
}


def one_line(message: checks.CheckMessage) -> str:
    text = " ".join(str(message.msg).split())
    hint = message.hint or HINTS.get(message.id or "")
    hint = " ".join(str(hint).split()) if hint else ""
    where = f" [{message.obj}]" if message.obj is not None else ""
    return f"{LEVELS.get(message.level, message.level)} {message.id}{where}: {text}" + (
        f" → {hint}" if hint else ""
    )


class Command(check.Command):
    help = (
        "Checks the project; with --deploy, also Django's deployment settings and Sportello's "
        "own (keys, DKIM and DNS records, proxy, SITE_URL, workers, yesterday's daily run), "
        "one line per problem."
    )

    def handle(self, *app_labels, **options):
        if not options["deploy"] or options["list_tags"]:
            return super().handle(*app_labels, **options)
        from django.apps import apps

        configs = [apps.get_app_config(label) for label in app_labels] or None
        found = checks.run_checks(
            app_configs=configs,
            tags=options["tags"],
            include_deployment_checks=True,
            databases=options["databases"] or ["default"],
        )
        # A check that two apps share (the database not answering) is said once.
        shown = list({(m.id, str(m.msg)): m for m in found if not m.is_silenced()}.values())
        for message in sorted(shown, key=lambda m: (-m.level, m.id or "")):
            self.stdout.write(one_line(message))
        fail_level = getattr(checks, options["fail_level"])
        failing = [m for m in shown if m.level >= fail_level]
        if failing:
            raise CommandError(f"{len(failing)} of {len(shown)} deployment checks failed")
        self.stdout.write(f"Deployment checks passed ({len(shown)} notes).")
