"""Wrappers the features use to be counted: job attempts and Redis commands."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from stocky.cloud.observability.metrics import JOBS, REDIS_ERRORS

JobFn = Callable[..., Coroutine[Any, Any, Any]]


def counted_job(task: str, fn: JobFn) -> JobFn:
    """`fn` counted by outcome (succeeded, failed, cancelled) under its task name; an
    attempt that fails and is retried counts as failed, its retry counts again."""

    @functools.wraps(fn)
    async def run(*args: Any, **kwargs: Any) -> Any:
        try:
            result = await fn(*args, **kwargs)
        except asyncio.CancelledError:
            JOBS.labels(task, "cancelled").inc()
            raise
        except BaseException:
            JOBS.labels(task, "failed").inc()
            raise
        JOBS.labels(task, "succeeded").inc()
        return result

    return run


class CountingRedis(Redis):  # type: ignore[type-arg]
    """The shared Redis client, counting every command that fails (the callers catch the
    error and go on without the cache: only this counter tells that Redis is down)."""

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        try:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except RedisError:
            REDIS_ERRORS.inc()
            raise
