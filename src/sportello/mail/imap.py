"""IMAP polling: each unseen message is stored, and marked seen only once committed; TLS
always (a server without it is an error, never a plaintext fallback)."""

import ssl

from django.utils import timezone
from imap_tools import MailBox, MailBoxStartTls, MailMessageFlags

from .inbound import store
from .models import ImapMailbox, InboundMessage

# Seconds a silent server may take to answer: a hung server must not hold the poll forever.
TIMEOUT = 60


def poll(mailbox: ImapMailbox, *, ssl_context: ssl.SSLContext | None = None) -> int:
    context = ssl_context or ssl.create_default_context()
    kind = MailBox if mailbox.security == ImapMailbox.Security.TLS else MailBoxStartTls
    stored = 0
    with kind(mailbox.host, mailbox.port, timeout=TIMEOUT, ssl_context=context).login(
        mailbox.username, mailbox.password, initial_folder=mailbox.folder
    ) as box:
        for uid in box.uids("UNSEEN"):
            status, data = box.client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in data if isinstance(part, tuple)), None)
            if status != "OK" or raw is None:
                continue
            store(raw, mailbox.recipient, InboundMessage.Channel.IMAP, timezone.now())
            box.flag(uid, MailMessageFlags.SEEN, True)  # after the commit, never before
            stored += 1
    return stored
