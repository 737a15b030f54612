import json
import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils import timezone

from sportello.mail.inbound import store
from sportello.mail.models import InboundMessage
from sportello.mail.processing import process, recipient_known

# sysexits.h: what an MTA's pipe transport understands.
EX_DATAERR, EX_NOUSER, EX_TEMPFAIL = 65, 67, 75


class Command(BaseCommand):
    help = "Take one message on standard input, as an MTA pipe transport delivers it."

    def add_arguments(self, parser):
        parser.add_argument("--recipient", required=True)
        parser.add_argument("--sender", default="", help="the envelope sender, if known")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the outcome as JSON"
        )

    def handle(self, *args, recipient, sender, as_json, **options):
        raw = sys.stdin.buffer.read()
        if not raw.strip() or b":" not in raw.split(b"\n", 1)[0]:
            self.fail(EX_DATAERR, "the input is not an email message")
        try:
            if not recipient_known(recipient):
                self.fail(EX_NOUSER, f"no department receives mail for {recipient}")
            row, _created = store(raw, recipient, InboundMessage.Channel.PIPE, timezone.now(),
                                  envelope_from=sender)  # fmt: skip
        except DatabaseError as error:
            self.fail(EX_TEMPFAIL, f"database unavailable, try again later: {error}".strip())
        row = process(row.pk, timezone.now())
        outcome = {
            InboundMessage.Status.CREATED: "created",
            InboundMessage.Status.REPLIED: "replied",
            InboundMessage.Status.QUARANTINED: "quarantined",
        }.get(row.status, "refused")
        result = {"outcome": outcome, "ticket": row.ticket.code if row.ticket else None,
                  "reason": row.reason}  # fmt: skip
        if as_json:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(" ".join(str(v) for v in result.values() if v))

    def fail(self, code: int, message: str):
        self.stderr.write(message)
        sys.exit(code)
