"""The shared Redis client (redis-py asyncio)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.asyncio import Redis

from stocky.cloud.observability.hooks import CountingRedis

if TYPE_CHECKING:
    RedisClient = Redis[bytes]
else:  # redis-py's Redis is generic only to type checkers
    RedisClient = Redis


def create_redis(url: str) -> RedisClient:
    # Counting its failures (stocky_redis_errors_total): callers fall back quietly.
    return CountingRedis.from_url(
        url, socket_connect_timeout=5, socket_timeout=5, decode_responses=False
    )
