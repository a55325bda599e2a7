"""Per-tenant token bucket for the normalizer, in Redis, taken atomically in one Lua script:
concurrent requests never both take the last token."""

from __future__ import annotations

import math
import time
import uuid

from stocky.cloud.redis import RedisClient
from stocky.core.errors import RateLimitedError

# KEYS[1] the bucket (a hash of tokens and when they were counted); ARGV: capacity, tokens
# per second, now (seconds), cost. Returns {taken (1|0), seconds until `cost` tokens are there}.
# `now` comes from the caller: TIME in a script needs Redis 5's effects replication.
_TAKE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
    tokens = capacity
    at = now
end
if now > at then
    tokens = math.min(capacity, tokens + (now - at) * rate)
    at = now
end
local taken = 0
local wait = 0
if tokens >= cost then
    tokens = tokens - cost
    taken = 1
else
    wait = (cost - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return {taken, tostring(wait)}
"""


def bucket_key(tenant_id: uuid.UUID) -> str:
    return f"ai:bucket:{tenant_id}"


async def take(
    redis: RedisClient,
    tenant_id: uuid.UUID,
    *,
    capacity: int,
    per_minute: float,
    cost: int = 1,
    now: float | None = None,
) -> None:
    """Take `cost` tokens of the tenant's bucket, or refuse (429 with Retry-After)."""
    at = time.time() if now is None else now
    taken, wait = await redis.eval(  # type: ignore[no-untyped-call]
        _TAKE, 1, bucket_key(tenant_id), capacity, per_minute / 60.0, repr(at), cost
    )
    if int(taken) == 1:
        return
    retry = max(math.ceil(float(wait)), 1)
    raise RateLimitedError(
        f"Too many normalizer requests for this business. Try again in {retry} seconds.",
        headers={"Retry-After": str(retry)},
        retry_after=retry,
    )
