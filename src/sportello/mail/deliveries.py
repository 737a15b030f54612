"""Emails queued by one unit of work, delivered together after it: a batch of inbound
messages queues an acknowledgement or an alert for most of them, and each email had a task
and an SMTP connection of its own. Imports nothing of the app, so the task that runs the
unit of work and the action that queues the emails can both use it."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# The ids of the emails queued inside `collected()`, None outside it.
collecting: ContextVar[list[int] | None] = ContextVar("collecting_deliveries", default=None)


@contextmanager
def collected() -> Iterator[list[int]]:
    """The emails queued inside are not scheduled one transaction at a time: their ids
    are collected here, for the caller to schedule once the work has committed. An email
    rolled back with its savepoint is not found when the delivery claims it, and is
    skipped."""
    ids: list[int] = []
    token = collecting.set(ids)
    try:
        yield ids
    finally:
        collecting.reset(token)
