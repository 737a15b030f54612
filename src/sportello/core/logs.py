"""What the console log shows: one line for each piece of work the worker did.

huey writes "Executing …" and "… executed in …" for every task it runs, and "Enqueueing
periodic task …" each minute for every periodic task, whether or not it finds anything to
do: an idle worker wrote a screenful every few minutes. Those lines become DEBUG here
(`sportello worker -v 2` or `LOG_LEVEL=DEBUG` shows them again); the tasks log what they did
instead, and only when they did something.
"""

import logging

# The beginnings of huey's messages (before their arguments are filled in) that say a task
# ran or was queued, not what it did, by the logger that writes them.
ROUTINE = {
    "huey": ("Executing %s", "%s executed in ", "Added task %s to schedule"),
    "huey.consumer.Scheduler": ("Enqueueing periodic task ",),
    "huey.consumer": ("Scheduler runs every ", "The following commands are available:"),
}


class RoutineTaskLines(logging.Filter):
    """On the console handler: huey's routine lines are DEBUG records, shown only when the
    logger that wrote them lets DEBUG through."""

    def filter(self, record: logging.LogRecord) -> bool:
        prefixes = ROUTINE.get(record.name)
        if record.levelno != logging.INFO or not prefixes:
            return True
        if not str(record.msg).startswith(prefixes):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """The number and the noun: 1 email, 12 emails."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def counts_text(counts: dict) -> str:
    """A job's non-zero counts on one line: "invoices 3, services 3"."""
    return ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in counts.items() if value)


class ForbiddenWithoutTraceback(logging.Filter):
    """A 403 is a page answering as it should (a client opening another client's invoice, a
    clerk outside their role): Django logs it as a warning with the PermissionDenied
    traceback, which says nothing an operator needs. The line stays; the traceback goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "django.request" and getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
