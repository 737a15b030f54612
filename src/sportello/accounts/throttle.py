"""Failed sign-ins slow down the address that makes them, never lock the owner out.

Each (account, address) pair gets a few free failures, then waits twice as long after each
further one. Across all addresses, an account past its hourly ceiling asks every address
the owner has not signed in from before to wait a short while between attempts: a
distributed guesser is slowed to a crawl, and the owner, from a known address or after a
short wait, still gets in. Counters live in the cache, shared by every web worker."""

import hashlib
import time

from django.core.cache import cache

FREE_FAILURES = 3
LONGEST_WAIT = 15 * 60
ACCOUNT_WINDOW = 60 * 60
ACCOUNT_CEILING = 20
ACCOUNT_WAIT = 30
KNOWN_ADDRESS_DAYS = 30


def _account(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


def _keys(email: str, ip: str) -> tuple[str, str, str]:
    account = _account(email)
    return (
        f"signin:pair:{account}:{ip}",
        f"signin:account:{account}",
        f"signin:known:{account}:{ip}",
    )


def pair_wait(failures: int) -> int:
    """Seconds an address waits after its `failures`-th failure on one account."""
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES + 1), LONGEST_WAIT)


def seconds_to_wait(email: str, ip: str, now: float | None = None) -> int:
    """0 when this address may try this account now."""
    now = time.time() if now is None else now
    pair_key, account_key, known_key = _keys(email, ip)
    waits = []
    failures, last = cache.get(pair_key, (0, 0.0))
    waits.append(last + pair_wait(failures) - now)
    count, _since, last_any = cache.get(account_key, (0, now, 0.0))
    if count >= ACCOUNT_CEILING and not cache.get(known_key):
        waits.append(last_any + ACCOUNT_WAIT - now)
    return max(0, int(max(waits) + 0.999))


def record_failure(email: str, ip: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    pair_key, account_key, _known = _keys(email, ip)
    failures, _last = cache.get(pair_key, (0, 0.0))
    cache.set(pair_key, (failures + 1, now), LONGEST_WAIT * 4)
    count, since, _last_any = cache.get(account_key, (0, now, 0.0))
    if now - since > ACCOUNT_WINDOW:
        count, since = 0, now
    cache.set(account_key, (count + 1, since, now), ACCOUNT_WINDOW)


def record_success(email: str, ip: str) -> None:
    """The owner got in from here: this pair starts afresh, and the address is known."""
    pair_key, _account_key, known_key = _keys(email, ip)
    cache.delete(pair_key)
    cache.set(known_key, 1, KNOWN_ADDRESS_DAYS * 24 * 3600)
