"""Every query of the normalizer's API and jobs. Each also filters by tenant (RLS too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.kit.sql import uuids
from stocky.cloud.models import AiRun, AiSuggestion, Product, Tenant


async def tenant(session: AsyncSession, tenant_id: uuid.UUID, *, lock: bool = False) -> Tenant:
    stmt = select(Tenant).where(Tenant.id == tenant_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one()


async def categories(session: AsyncSession, tenant_id: uuid.UUID) -> list[str]:
    """The tenant's own categories (distinct, sorted), what the provider assigns from."""
    rows = await session.scalars(
        select(Product.category)
        .where(Product.tenant_id == tenant_id, Product.category.is_not(None))
        .distinct()
        .order_by(Product.category)
    )
    return [c for c in rows if c and c.strip()]


async def catalog_names(session: AsyncSession, tenant_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    """Every active product's id and name, in id order: the brand lexicon's source."""
    rows = await session.execute(
        select(Product.id, Product.name)
        .where(Product.tenant_id == tenant_id, Product.active.is_(True))
        .order_by(Product.id)
    )
    return [(pid, name) for pid, name in rows]


async def products(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID], *, lock: bool = False
) -> dict[uuid.UUID, Product]:
    if not ids:
        return {}
    stmt = select(Product).where(Product.tenant_id == tenant_id, Product.id == uuids(ids))
    if lock:
        stmt = stmt.order_by(Product.id).with_for_update()
    stmt = stmt.execution_options(populate_existing=True)
    return {p.id: p for p in (await session.scalars(stmt))}


async def active_products(session: AsyncSession, tenant_id: uuid.UUID) -> list[Product]:
    rows = await session.scalars(
        select(Product)
        .where(Product.tenant_id == tenant_id, Product.active.is_(True))
        .order_by(Product.id)
    )
    return list(rows)


async def insert_run(session: AsyncSession, run: AiRun) -> AiRun:
    session.add(run)
    await session.flush()
    await session.refresh(run)
    return run


async def get_run(
    session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID, *, lock: bool = False
) -> AiRun | None:
    stmt = select(AiRun).where(AiRun.tenant_id == tenant_id, AiRun.id == run_id)
    if lock:
        stmt = stmt.with_for_update()
    stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def recent_runs(session: AsyncSession, tenant_id: uuid.UUID, limit: int) -> list[AiRun]:
    rows = await session.scalars(
        select(AiRun)
        .where(AiRun.tenant_id == tenant_id)
        .order_by(AiRun.created_at.desc(), AiRun.id.desc())
        .limit(limit)
    )
    return list(rows)


async def update_run(
    session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID, **values: Any
) -> None:
    await session.execute(
        update(AiRun).where(AiRun.tenant_id == tenant_id, AiRun.id == run_id).values(**values)
    )


async def insert_suggestions(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(AiSuggestion), rows)


async def delete_run_suggestions(
    session: AsyncSession, tenant_id: uuid.UUID, run_id: uuid.UUID
) -> None:
    """A retried run starts its suggestions over (those already reviewed stay)."""

    await session.execute(
        delete(AiSuggestion).where(
            AiSuggestion.tenant_id == tenant_id,
            AiSuggestion.run_id == run_id,
            AiSuggestion.status == "pending",
        )
    )


async def page_suggestions(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    run_id: uuid.UUID,
    *,
    status: str | None,
    kind: str | None,
    after: uuid.UUID | None,
    limit: int,
) -> list[AiSuggestion]:
    stmt = select(AiSuggestion).where(
        AiSuggestion.tenant_id == tenant_id, AiSuggestion.run_id == run_id
    )
    if status is not None:
        stmt = stmt.where(AiSuggestion.status == status)
    if kind is not None:
        stmt = stmt.where(AiSuggestion.kind == kind)
    if after is not None:
        stmt = stmt.where(AiSuggestion.id > after)
    return list(await session.scalars(stmt.order_by(AiSuggestion.id).limit(limit)))


async def get_suggestion(
    session: AsyncSession, tenant_id: uuid.UUID, suggestion_id: uuid.UUID, *, lock: bool = False
) -> AiSuggestion | None:
    stmt = select(AiSuggestion).where(
        AiSuggestion.tenant_id == tenant_id, AiSuggestion.id == suggestion_id
    )
    if lock:
        stmt = stmt.with_for_update()
    stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()
