"""Counting wrong activation codes in Redis, so 6 digits cannot be brute-forced.

Failures count per client address (a wrong code names no sede) and, for codes that match
but are used or expired, per sede. Past the limit, every attempt from that address (or on
that sede) answers 429 until the window ends, even with a right code.
"""

from __future__ import annotations

from stocky.cloud.errors import RateLimitedError
from stocky.cloud.redis import RedisClient

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
PREFIX = "stocky:activation:fail"


def _key(scope: str, value: str) -> str:
    return f"{PREFIX}:{scope}:{value}"


async def check(redis: RedisClient, scope: str, value: str) -> None:
    """Refuse (429 with Retry-After) once `value` has failed too often in this window."""
    key = _key(scope, value)
    raw = await redis.get(key)
    if raw is not None and int(raw) >= MAX_FAILURES:
        ttl = await redis.ttl(key)
        retry = max(int(ttl), 1)
        raise RateLimitedError(
            f"Too many wrong activation codes. Try again in {(retry + 59) // 60} minutes.",
            headers={"Retry-After": str(retry)},
            retry_after=retry,
        )


async def fail(redis: RedisClient, scope: str, value: str) -> None:
    key = _key(scope, value)
    count = await redis.incr(key)
    # The window starts at the first failure; EXPIRE NX would do this but needs Redis 7.
    if count == 1 or await redis.ttl(key) < 0:
        await redis.expire(key, WINDOW_SECONDS)
