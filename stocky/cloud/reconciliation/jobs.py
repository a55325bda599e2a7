"""The reconciliation jobs: a closed shift's check (deferred by its push), one tenant's
checks (on demand), and the periodic run over every tenant."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import procrastinate
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.jobs.app import TaskSpec
from stocky.cloud.jobs.defer import defer_in
from stocky.cloud.reconciliation import checks
from stocky.cloud.reconciliation import repository as repo

log = logging.getLogger(__name__)

QUEUE = "reconciliation"
CHECK_SHIFT = "reconciliation.check_shift"
CHECK_TENANT = "reconciliation.check_tenant"
SWEEP = "reconciliation.sweep"
# Hourly, at minute 17 (off the hour, when other schedules pile up).
SWEEP_CRON = "17 * * * *"


async def defer_shift_check(
    session: AsyncSession, jobs: procrastinate.App, tenant_id: uuid.UUID, shift_id: uuid.UUID
) -> int:
    """Queue the check of a shift in `session`'s transaction (checks of one shift run in turn)."""
    return await defer_in(
        session,
        jobs,
        CHECK_SHIFT,
        lock=f"{CHECK_SHIFT}:{shift_id}",
        tenant_id=str(tenant_id),
        shift_id=str(shift_id),
    )


async def defer_tenant_check(
    session: AsyncSession, jobs: procrastinate.App, tenant_id: uuid.UUID
) -> int:
    return await defer_in(
        session, jobs, CHECK_TENANT, lock=f"{CHECK_TENANT}:{tenant_id}", tenant_id=str(tenant_id)
    )


async def run_tenant_checks(app: FastAPI, tenant_id: uuid.UUID) -> dict[str, dict[str, int]]:
    """One tenant's periodic checks in one transaction of that tenant."""
    threshold = app.state.settings.clock_skew_threshold_s
    sm: SessionMaker = app.state.sessionmaker
    async with tenant_transaction(sm, tenant_id) as session:
        return await checks.check_tenant(
            session, tenant_id, threshold_s=threshold, now=datetime.now(UTC)
        )


async def check_shift_job(
    context: procrastinate.JobContext, *, tenant_id: str, shift_id: str
) -> str:
    app: FastAPI = context.additional_context["app"]
    tenant = uuid.UUID(tenant_id)
    async with tenant_transaction(app.state.sessionmaker, tenant) as session:
        return await checks.check_shift(session, tenant, uuid.UUID(shift_id))


async def check_tenant_job(context: procrastinate.JobContext, *, tenant_id: str) -> Any:
    app: FastAPI = context.additional_context["app"]
    return await run_tenant_checks(app, uuid.UUID(tenant_id))


async def sweep_job(context: procrastinate.JobContext, timestamp: int) -> int:
    """Every tenant's checks, each in its own transaction: one tenant's failure is logged
    and the others still run."""
    app: FastAPI = context.additional_context["app"]
    async with app.state.sessionmaker() as session, session.begin():
        tenant_ids = await repo.tenants(session)
    done = 0
    for tenant_id in tenant_ids:
        try:
            await run_tenant_checks(app, tenant_id)
        except Exception:
            log.exception("reconciliation of tenant %s failed", tenant_id)
        else:
            done += 1
    return done


TASKS = [
    TaskSpec(name=CHECK_SHIFT, fn=check_shift_job, queue=QUEUE),
    TaskSpec(name=CHECK_TENANT, fn=check_tenant_job, queue=QUEUE),
    TaskSpec(name=SWEEP, fn=sweep_job, queue=QUEUE, cron=lambda _settings: SWEEP_CRON),
]
