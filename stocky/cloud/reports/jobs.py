"""reports.rebuild: one tenant's rollups recomputed from its movements (the backfill of
sales pushed before migration 0023, or a repair), in one transaction of that tenant."""

from __future__ import annotations

import uuid

import procrastinate
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.db import tenant_transaction
from stocky.cloud.jobs.app import TaskSpec
from stocky.cloud.jobs.defer import defer_in
from stocky.cloud.reports import rollups

REBUILD = "reports.rebuild"


async def defer_rebuild(
    session: AsyncSession, jobs: procrastinate.App, tenant_id: uuid.UUID
) -> int:
    """Queue a tenant's rebuild in `session`'s transaction (one at a time per tenant)."""
    return await defer_in(
        session, jobs, REBUILD, lock=f"{REBUILD}:{tenant_id}", tenant_id=str(tenant_id)
    )


async def rebuild_job(context: procrastinate.JobContext, *, tenant_id: str) -> str:
    # Pushes meanwhile are counted once: rollups.rebuild holds the tenant's lock.
    app: FastAPI = context.additional_context["app"]
    tenant = uuid.UUID(tenant_id)
    async with tenant_transaction(app.state.sessionmaker, tenant) as session:
        await rollups.rebuild(session, tenant)
    return tenant_id


TASKS = [TaskSpec(name=REBUILD, fn=rebuild_job, queue="reports")]
