"""Per-tenant advisory locks held until the transaction ends (merges, report rebuilds)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_SHARED = text("SELECT pg_advisory_xact_lock_shared(hashtextextended(:key, 0))")
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


async def hold_tenant_lock(
    session: AsyncSession, purpose: str, tenant_id: uuid.UUID, *, shared: bool
) -> None:
    """Wait for and hold the tenant's `purpose` lock: many sharers, or one exclusive holder."""
    statement = _SHARED if shared else _EXCLUSIVE
    await session.execute(statement, {"key": f"{purpose}:{tenant_id}"})
