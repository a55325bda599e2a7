"""The shared Redis client (redis-py asyncio)."""

from __future__ import annotations

from redis.asyncio import Redis


def create_redis(url: str) -> Redis[bytes]:
    return Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5, decode_responses=False)
