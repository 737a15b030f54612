"""What one message may cost before it is parsed (HD-2): the header block, each header, the
encoded words and the MIME parts are counted on the raw bytes, which is cheap and linear;
a message over a limit is quarantined with the reason instead of being parsed. Messages
large enough that parsing them could still take long are first parsed by a separate
process under a time and memory ceiling (`trial_parse`).

Nothing here imports Django: the trial process loads only the email parser."""

import multiprocessing
import re
from dataclasses import dataclass

# The header block, the headers and the encoded words (RFC 2047) a client's mail needs,
# with a wide margin: decoding costs more than linear time in the number of encoded words,
# and parsing a structured header in its length.
MAX_HEADER_BLOCK = 256 * 1024
MAX_HEADERS = 500
MAX_HEADER_LENGTH = 16 * 1024
MAX_ENCODED_WORDS_PER_HEADER = 64
MAX_ENCODED_WORDS = 512
MAX_PARTS = 256
# Above this size, or with many parts, the message is parsed first under a ceiling.
TRIAL_ABOVE = 512 * 1024
TRIAL_PARTS = 32
TRIAL_SECONDS = 10.0
TRIAL_MEMORY = 1024 * 1024 * 1024  # address space of the trial process

_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_HEADER_START = re.compile(rb"(?m)^[^ \t\r\n]")
_ENCODED_WORD = re.compile(rb"=\?")
_PART_HEADER = re.compile(rb"(?im)^content-type[ \t]*:")


@dataclass(frozen=True)
class OverLimit:
    """Why a message was not parsed: a short code, and the detail in English."""

    code: str
    detail: str


def header_block(raw: bytes) -> bytes | None:
    """The headers (up to the first blank line), or None past MAX_HEADER_BLOCK."""
    end = _BLANK_LINE.search(raw, 0, MAX_HEADER_BLOCK + 4)
    if end is None:
        return raw if len(raw) <= MAX_HEADER_BLOCK else None
    return raw[: end.start()]


def check(raw: bytes, max_bytes: int) -> OverLimit | None:
    """The first limit the raw message is over, or None."""
    if len(raw) > max_bytes:
        return OverLimit("size", f"{len(raw)} bytes, over the limit of {max_bytes}")
    headers = header_block(raw)
    if headers is None:
        return OverLimit("headers", f"header block over {MAX_HEADER_BLOCK} bytes")
    starts = [match.start() for match in _HEADER_START.finditer(headers)]
    if len(starts) > MAX_HEADERS:
        return OverLimit("headers", f"{len(starts)} headers, over the limit of {MAX_HEADERS}")
    total_words = 0
    for start, end in zip(starts, [*starts[1:], len(headers)], strict=True):
        length = end - start
        name = headers[start : min(end, start + 60)].split(b":", 1)[0].decode("ascii", "replace")
        if length > MAX_HEADER_LENGTH:
            return OverLimit("header_length", f"{name[:40]}: {length} bytes")
        words = len(_ENCODED_WORD.findall(headers, start, end))
        total_words += words
        if words > MAX_ENCODED_WORDS_PER_HEADER or total_words > MAX_ENCODED_WORDS:
            return OverLimit("encoded_words", f"{name[:40]}: {words} encoded words")
    parts = len(_PART_HEADER.findall(raw))
    if parts > MAX_PARTS:
        return OverLimit("parts", f"{parts} MIME parts, over the limit of {MAX_PARTS}")
    return None


def needs_trial(raw: bytes) -> bool:
    return len(raw) > TRIAL_ABOVE or len(_PART_HEADER.findall(raw)) > TRIAL_PARTS


def _read_everything(raw: bytes) -> None:
    """What processing will read of a message, so the trial costs what processing costs."""
    from email.parser import BytesParser

    from .message import MESSAGE_POLICY, message_text

    message = BytesParser(policy=MESSAGE_POLICY).parsebytes(raw)
    for name in ("From", "Subject", "Message-ID", "In-Reply-To", "References", "To"):
        str(message.get(name, ""))
    message_text(message)
    for part in message.walk():
        part.get_content_type()
        part.get_filename()
    for part in message.iter_attachments():
        try:
            part.get_content()
        except Exception:  # what processing falls back on
            part.get_payload(decode=True)


def _trial(raw: bytes, answer) -> None:
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_AS, (TRIAL_MEMORY, TRIAL_MEMORY))
    except (ValueError, OSError):  # a lower hard limit already holds
        pass
    try:
        _read_everything(raw)
    except MemoryError:
        answer.send("memory")
        return
    except BaseException:  # noqa: BLE001 (a parsing error is processing's to judge)
        pass
    answer.send("ok")


_context = None


def _process_context():
    """Trial processes are forked from a small server process that has loaded the parser
    only (not the web application, nor its database connections)."""
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sportello.mail.message"])
        _context = context
    return _context


def trial_parse(raw: bytes, seconds: float = TRIAL_SECONDS) -> OverLimit | None:
    """Parse the message in a separate process; an OverLimit if it took longer than
    `seconds` or more memory than the ceiling."""
    context = _process_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_trial, args=(raw, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            return OverLimit("time", f"parsing took longer than {seconds:g} s")
        answer = receiver.recv()
    except EOFError:
        answer = "memory"  # the process died: the kernel refused it memory
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()
    if answer == "memory":
        return OverLimit("memory", f"parsing needed more than {TRIAL_MEMORY // 2**20} MB")
    return None
