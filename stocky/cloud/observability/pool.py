"""The database pool's usage as gauges.

The figure is read from the pools themselves (`checkedout()`), never counted up and down
by events: a process that builds several apps (tests, a restart in place) would otherwise
count a connection checked out before its pool was watched, or by a pool already
disposed, and the gauge drifts (it was seen at -1). Events only refresh it, so in
multiprocess mode the host's sum follows without a scrape in every process.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import Pool

from stocky.cloud.observability.metrics import DB_POOL_CHECKED_OUT, DB_POOL_SIZE

_pools: weakref.WeakSet[Pool] = weakref.WeakSet()


def refresh_pool_gauge() -> None:
    """Set the checked-out gauge to what this process's watched pools hold now."""
    held = 0
    for pool in list(_pools):
        checkedout = getattr(pool, "checkedout", None)
        if callable(checkedout):
            held += max(0, int(checkedout()))
    DB_POOL_CHECKED_OUT.set(held)


def watch_pool(engine: AsyncEngine, size: int) -> None:
    pool = engine.sync_engine.pool
    _pools.add(pool)
    DB_POOL_SIZE.inc(size)

    def changed(*_: Any) -> None:
        refresh_pool_gauge()

    event.listen(pool, "checkout", changed)
    event.listen(pool, "checkin", changed)


def unwatch_pool(engine: AsyncEngine, size: int) -> None:
    _pools.discard(engine.sync_engine.pool)
    DB_POOL_SIZE.dec(size)
    refresh_pool_gauge()
