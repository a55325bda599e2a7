"""The database pool's usage as gauges, kept by the pool's own events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from stocky.cloud.observability.metrics import DB_POOL_CHECKED_OUT, DB_POOL_SIZE


def watch_pool(engine: AsyncEngine, size: int) -> None:
    pool = engine.sync_engine.pool
    DB_POOL_SIZE.inc(size)

    def checked_out(*_: Any) -> None:
        DB_POOL_CHECKED_OUT.inc()

    def checked_in(*_: Any) -> None:
        DB_POOL_CHECKED_OUT.dec()

    event.listen(pool, "checkout", checked_out)
    event.listen(pool, "checkin", checked_in)


def unwatch_pool(size: int) -> None:
    DB_POOL_SIZE.dec(size)
