"""The SMTP gateway: unknown recipients are refused at RCPT, oversize messages at DATA, and
`250` is answered only once the raw message is committed; a database failure answers
`451` so the sending server tries again later."""

import asyncio
import logging
import time

from aiosmtpd.controller import Controller
from django.db import close_old_connections
from django.utils import timezone

from .inbound import store
from .models import InboundMessage, MailSettings
from .processing import recipient_known

log = logging.getLogger(__name__)


class GatewayHandler:
    def __init__(self):
        self.known_recipients = KnownRecipients()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        known = self.known_recipients.check(address)
        if not known:
            known = await asyncio.to_thread(self.known_recipients.look_up, address)
        if known is None:
            return "451 4.3.0 Temporary failure, try again later"
        if not known:
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        peer = session.peer[0] if isinstance(session.peer, tuple) else None
        try:
            await asyncio.to_thread(_store_all, raw, envelope, peer)
        except Exception:  # the database is away: the sender keeps the message and retries
            log.exception("inbound message not stored")
            return "451 4.3.0 Temporary failure, try again later"
        return "250 Message accepted"


class KnownRecipients:
    """The departments' addresses the gateway accepts, kept for a minute so a message does
    not cost a query at RCPT. An address not kept is looked up before it is refused, so a
    new department's address works at once; one removed may still be accepted for up to a
    minute, and processing then quarantines the message (nothing is lost)."""

    TTL = 60.0

    def __init__(self) -> None:
        self.addresses: dict[str, float] = {}

    def check(self, address: str) -> bool:
        return self.addresses.get(address.strip().lower(), 0.0) > time.monotonic()

    def look_up(self, address: str) -> bool | None:
        """None when the database cannot say (the sender tries again later)."""
        close_old_connections()
        try:
            known = recipient_known(address)
        except Exception:
            log.exception("recipient check failed")
            return None
        if known:
            self.addresses[address.strip().lower()] = time.monotonic() + self.TTL
        return known


def _store_all(raw: bytes, envelope, peer: str | None) -> None:
    close_old_connections()
    for recipient in envelope.rcpt_tos:
        store(raw, recipient, InboundMessage.Channel.SMTP, timezone.now(),
              envelope_from=envelope.mail_from or "<>", peer_ip=peer)  # fmt: skip


def controller(host: str, port: int) -> Controller:
    limit = MailSettings.current().message_max_kb * 1024
    return Controller(
        GatewayHandler(), hostname=host, port=port, data_size_limit=limit,
        server_kwargs={"decode_data": False},
    )  # fmt: skip
