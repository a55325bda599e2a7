"""Counting wrong activation codes in Redis, so 6 digits cannot be brute-forced.

Failures count per client address (a wrong code names no sede) and, for codes that match
but are used or expired, per sede. Past the limit, every attempt from that address (or on
that sede) answers 429 until the window ends, even with a right code.

An IPv6 client owns at least a /64, so its failures count per /64, not per address. And
since many addresses could still share the work, wrong codes also count system-wide: past
that budget activation pauses for everyone until the window ends. At 2,000 guesses per 15
minutes and 100 live codes, a botnet needs about 5,000 guesses, some 40 minutes, per hit,
instead of seconds; an installer whose activation paused retries a few minutes later.
"""

from __future__ import annotations

import ipaddress

from stocky.cloud.errors import RateLimitedError
from stocky.cloud.redis import RedisClient

MAX_FAILURES = 10
MAX_FAILURES_EVERYWHERE = 2_000
WINDOW_SECONDS = 15 * 60
PREFIX = "stocky:activation:fail"
EVERYWHERE = ("all", "wrong-codes")


def address_bucket(address: str) -> str:
    """The unit an attacker pays for: one IPv4 address, or one IPv6 /64."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _key(scope: str, value: str) -> str:
    return f"{PREFIX}:{scope}:{value}"


async def check(redis: RedisClient, scope: str, value: str) -> None:
    """Refuse (429 with Retry-After) once `value` has failed too often in this window."""
    await _refuse_past(redis, _key(scope, value), MAX_FAILURES, "Too many wrong activation codes.")


async def check_everywhere(redis: RedisClient) -> None:
    """Refuse every activation while the system-wide budget of wrong codes is spent."""
    await _refuse_past(
        redis,
        _key(*EVERYWHERE),
        MAX_FAILURES_EVERYWHERE,
        "Activation is paused after too many wrong codes.",
    )


async def _refuse_past(redis: RedisClient, key: str, limit: int, reason: str) -> None:
    raw = await redis.get(key)
    if raw is None or int(raw) < limit:
        return
    retry = max(int(await redis.ttl(key)), 1)
    raise RateLimitedError(
        f"{reason} Try again in {(retry + 59) // 60} minutes.",
        headers={"Retry-After": str(retry)},
        retry_after=retry,
    )


async def fail(redis: RedisClient, scope: str, value: str) -> None:
    key = _key(scope, value)
    count = await redis.incr(key)
    # The window starts at the first failure; EXPIRE NX would do this but needs Redis 7.
    if count == 1 or await redis.ttl(key) < 0:
        await redis.expire(key, WINDOW_SECONDS)
