"""Counting failures in Redis, atomically, before the thing that may fail is tried.

A slot is taken (INCR, and the window's expiry set on the first one, in one Lua script)
before a code or a password is checked, and the attempt is refused once the count passes
the limit. Reading the count, checking, then incrementing let a burst of concurrent
requests all read the same low count: 2 x 100 wrong activation codes at once got 200 answers
and no 429. An attempt that turns out right gives its slot back (a success is not a
failure; nothing is reset, so one good login cannot wipe an address's record of bad ones).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from stocky.cloud.redis import RedisClient
from stocky.core.errors import RateLimitedError

# Returns {count, ttl}. EXPIRE NX would do the expiry but needs Redis 7; a key left without
# one (TTL -1, a crash between the two calls of an older client) gets it here too.
_TAKE = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if n == 1 or ttl < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
    ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""
# Never resurrects an expired window (a DECR on a missing key would make one with no TTL).
_GIVE_BACK = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return 0
"""


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


@dataclass(frozen=True)
class Slot:
    """One counted attempt, to give back if it succeeds."""

    key: str


async def take(
    redis: RedisClient, key: str, *, limit: int, window_seconds: int, reason: str
) -> Slot:
    """Count one attempt on `key`; past `limit` in this window, refuse it (429, Retry-After)."""
    count, ttl = await redis.eval(_TAKE, 1, key, window_seconds)  # type: ignore[no-untyped-call]
    if int(count) > limit:
        retry = max(int(ttl), 1)
        raise RateLimitedError(
            f"{reason} Try again in {(retry + 59) // 60} minutes.",
            headers={"Retry-After": str(retry)},
            retry_after=retry,
        )
    return Slot(key)


async def give_back(redis: RedisClient, *slots: Slot) -> None:
    """Uncount attempts that turned out right."""
    for slot in slots:
        await redis.eval(_GIVE_BACK, 1, slot.key)  # type: ignore[no-untyped-call]
