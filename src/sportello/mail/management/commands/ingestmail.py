import json
import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError
from django.utils import timezone

from sportello.mail.inbound import store
from sportello.mail.models import InboundMessage, MailSettings
from sportello.mail.processing import process, recipient_known

# sysexits.h: what an MTA's pipe transport understands.
EX_DATAERR, EX_NOUSER, EX_TEMPFAIL = 65, 67, 75


def drain(stream, chunk: int = 1 << 20) -> int:
    """Read a stream to its end without keeping it; the bytes read."""
    total = 0
    while data := stream.read(chunk):
        total += len(data)
    return total


class Command(BaseCommand):
    help = "Take one message on standard input, as an MTA pipe transport delivers it."

    def add_arguments(self, parser):
        parser.add_argument("--recipient", required=True)
        parser.add_argument("--sender", default="", help="the envelope sender, if known")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="print the outcome as JSON"
        )

    def handle(self, *args, recipient, sender, as_json, **options):
        try:
            limit = MailSettings.current().message_max_kb * 1024
        except DatabaseError as error:
            self.fail(EX_TEMPFAIL, f"database unavailable, try again later: {error}".strip())
        # Never more than the limit in memory: the rest is read and thrown away.
        raw = sys.stdin.buffer.read(limit + 1)
        over_limit = None
        if len(raw) > limit:
            size = len(raw) + drain(sys.stdin.buffer)
            raw = raw[:limit]
            over_limit = ("size", f"{size} bytes, over the limit of {limit}: the first kept")
        if not raw.strip() or b":" not in raw.split(b"\n", 1)[0]:
            self.fail(EX_DATAERR, "the input is not an email message")
        try:
            if not recipient_known(recipient):
                self.fail(EX_NOUSER, f"no department receives mail for {recipient}")
            row, _created = store(raw, recipient, InboundMessage.Channel.PIPE, timezone.now(),
                                 envelope_from=sender, over_limit=over_limit)  # fmt: skip
            row = process(row.pk, timezone.now())
        except DatabaseError as error:
            self.fail(EX_TEMPFAIL, f"database unavailable, try again later: {error}".strip())
        except Exception as error:  # never a traceback to the MTA: it keeps the message
            self.fail(EX_TEMPFAIL, f"not stored, try again later: {type(error).__name__}")
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
