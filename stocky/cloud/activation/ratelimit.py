"""Counting activation attempts in Redis, so codes cannot be brute-forced.

Every attempt takes a slot per client address (a wrong code names no sede) before the code
is looked up, atomically (stocky.cloud.auth.throttle), and a code that matches but is used
or expired also takes one on its sede; a right code gives its slots back. Past the limit,
every attempt from that address (or on that sede) answers 429 until the window ends, even
with a right code. An IPv6 client owns at least a /64, so it counts per /64.

There is no system-wide budget: it let anyone pause every tenant's activations. Codes are
long enough instead that spreading guesses over many addresses does not pay; the numbers
are in stocky.core.activation_codes.
"""

from __future__ import annotations

from stocky.cloud.auth import throttle
from stocky.cloud.auth.throttle import Slot, address_bucket
from stocky.cloud.redis import RedisClient

__all__ = ["MAX_FAILURES", "WINDOW_SECONDS", "Slot", "address_bucket", "give_back", "take"]

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60
PREFIX = "stocky:activation:fail"


async def take(redis: RedisClient, scope: str, value: str) -> Slot:
    """Count an attempt on `value` (an address bucket, or a sede); refuse past the limit."""
    return await throttle.take(
        redis,
        f"{PREFIX}:{scope}:{value}",
        limit=MAX_FAILURES,
        window_seconds=WINDOW_SECONDS,
        reason="Too many wrong activation codes.",
    )


async def give_back(redis: RedisClient, *slots: Slot) -> None:
    """The attempt was right: it does not count."""
    await throttle.give_back(redis, *slots)
