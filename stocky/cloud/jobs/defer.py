"""Deferring a job inside the caller's transaction.

The job row is written through the very connection of the SQLAlchemy session, so it
commits or rolls back with the state change it belongs to: an approved transfer always has
its job, and a request that failed after deferring leaves none.
"""

from __future__ import annotations

from typing import Any

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession


async def defer_in(
    session: AsyncSession,
    jobs: procrastinate.App,
    task_name: str,
    *,
    lock: str | None = None,
    queueing_lock: str | None = None,
    **kwargs: Any,
) -> int:
    """Queue `task_name(**kwargs)` in `session`'s transaction; returns the job id.

    `lock`: jobs sharing it never run at the same time (procrastinate runs them in order).
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    deferrer = jobs.configure_task(
        task_name,
        allow_unknown=False,
        connection=raw.driver_connection,
        lock=lock,
        queueing_lock=queueing_lock,
    )
    return await deferrer.defer_async(**kwargs)
