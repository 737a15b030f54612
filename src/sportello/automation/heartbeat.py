"""A worker's sign of life: every minute the scheduler queues a heartbeat and whichever
worker takes it notes when and who, in the queue's own storage (Redis or the SQLite queue),
so it proves both that one scheduler queues and that a worker takes work."""

import json
import os
import socket
from datetime import datetime
from typing import TypedDict

from huey.constants import EmptyData
from huey.contrib.djhuey import HUEY

KEY = "sportello.heartbeat"


class Beat(TypedDict):
    at: datetime
    worker: str


def beat(now: datetime) -> None:
    record = {"at": now.isoformat(), "worker": f"{socket.gethostname()}:{os.getpid()}"}
    HUEY.storage.put_data(KEY, json.dumps(record).encode())


def last() -> Beat | None:
    raw = HUEY.storage.peek_data(KEY)
    if raw is EmptyData:
        return None
    record = json.loads(raw)
    return {"at": datetime.fromisoformat(record["at"]), "worker": record["worker"]}


def pending() -> int:
    return int(HUEY.pending_count())
