"""The catalog run (`ai.run`): the tenant's active products through its provider, the
suggestions stored a batch at a time, each batch its own transaction so progress shows.

`local` reads the whole catalog in one call (it learns the catalog's brands and finds
duplicates across all of it, 50,000 names in seconds); another provider is called a batch
at a time. A run the worker retries starts its suggestions over; a finished run is left as
it is. Merges are stored last, with the run marked done, in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import procrastinate
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.ai import repository as repo
from stocky.cloud.ai.engine import catalog_brands, run_provider
from stocky.cloud.ai.registry import AiConfig, choose
from stocky.cloud.ai.schemas import DuplicateGroup, NormalizeResult, ProductRow, Suggestion
from stocky.cloud.config import Settings
from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.jobs.app import TaskSpec
from stocky.cloud.jobs.defer import defer_in
from stocky.core.ids import new_id

log = logging.getLogger(__name__)

QUEUE = "ai"
RUN = "ai.run"


async def defer_run(
    session: AsyncSession, jobs: procrastinate.App, tenant_id: uuid.UUID, run_id: uuid.UUID
) -> int:
    return await defer_in(
        session, jobs, RUN, lock=f"{RUN}:{tenant_id}", tenant_id=str(tenant_id), run_id=str(run_id)
    )


def rename_row(
    tenant_id: uuid.UUID, run_id: uuid.UUID, product: _Product, s: Suggestion
) -> dict[str, Any] | None:
    """A rename suggestion when the clean name or the category differs from the product's."""
    name_changes = s.clean_name != product.name
    category_changes = s.category is not None and s.category != product.category
    if not (name_changes or category_changes):
        return None
    proposed = {
        "name": s.clean_name,
        "category": s.category if s.category is not None else product.category,
        "brand": s.brand,
        "variant": s.variant,
        "size": str(s.size) if s.size is not None else None,
        "unit": s.unit,
        "pack": s.pack,
        "before": {"name": product.name, "category": product.category},
    }
    return {
        "tenant_id": tenant_id,
        "id": new_id(),
        "run_id": run_id,
        "kind": "rename",
        "product_ids": [product.id],
        "versions": {str(product.id): product.version},
        "proposed": proposed,
        "confidence": s.confidence,
        "reasons": list(s.reasons),
    }


def merge_row(
    tenant_id: uuid.UUID, run_id: uuid.UUID, by_id: dict[str, _Product], group: DuplicateGroup
) -> dict[str, Any] | None:
    """Keep the oldest product (uuid7 ids sort by creation); the person may pick another."""
    members = [by_id[i] for i in group.ids if i in by_id]
    if len(members) < 2:
        return None
    members.sort(key=lambda p: p.id)
    survivor = members[0]
    return {
        "tenant_id": tenant_id,
        "id": new_id(),
        "run_id": run_id,
        "kind": "merge",
        "product_ids": [p.id for p in members],
        "versions": {str(p.id): p.version for p in members},
        "proposed": {
            "survivor_id": str(survivor.id),
            "merged_ids": [str(p.id) for p in members[1:]],
            "names": {str(p.id): p.name for p in members},
            "score": group.score,
        },
        "confidence": round(min(max(group.score / 100.0, 0.0), 1.0), 4),
        "reasons": [group.reason],
    }


class _Product:
    """What a run keeps of a product: read once, outside the provider's thread."""

    __slots__ = ("category", "id", "name", "version")

    def __init__(self, id: uuid.UUID, name: str, category: str | None, version: int) -> None:
        self.id = id
        self.name = name
        self.category = category
        self.version = version


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [items[:0]]


async def _prepare(
    sm: SessionMaker, settings: Settings, tenant_id: uuid.UUID, run_id: uuid.UUID
) -> tuple[list[_Product], list[str], AiConfig] | None:
    """Mark the run running and read what it works on; None when there is nothing to do."""
    async with tenant_transaction(sm, tenant_id) as session:
        run = await repo.get_run(session, tenant_id, run_id, lock=True)
        if run is None or run.status in ("done", "failed"):
            return None
        await repo.delete_run_suggestions(session, tenant_id, run_id)
        products = [
            _Product(p.id, p.name, p.category, p.version)
            for p in await repo.active_products(session, tenant_id)
        ]
        categories = await repo.categories(session, tenant_id)
        config = AiConfig.from_settings((await repo.tenant(session, tenant_id)).settings)
        now = datetime.now(UTC)
        await repo.update_run(
            session,
            tenant_id,
            run_id,
            status="running",
            total=len(products),
            processed=0,
            suggestions=0,
            started_at=now,
            updated_at=now,
        )
    return products, categories, config


async def run_catalog(app: FastAPI, tenant_id: uuid.UUID, run_id: uuid.UUID) -> str:
    sm: SessionMaker = app.state.sessionmaker
    settings: Settings = app.state.settings
    prepared = await _prepare(sm, settings, tenant_id, run_id)
    if prepared is None:
        return "skipped"
    products, categories, config = prepared
    try:
        await _analyse_and_store(sm, settings, tenant_id, run_id, products, categories, config)
    except Exception as exc:
        log.exception("normalizer run %s of tenant %s failed", run_id, tenant_id)
        async with tenant_transaction(sm, tenant_id) as session:
            now = datetime.now(UTC)
            await repo.update_run(
                session,
                tenant_id,
                run_id,
                status="failed",
                error=f"{type(exc).__name__}: {exc}"[:1000],
                finished_at=now,
                updated_at=now,
            )
        return "failed"
    return "done"


async def _analyse_and_store(
    sm: SessionMaker,
    settings: Settings,
    tenant_id: uuid.UUID,
    run_id: uuid.UUID,
    products: list[_Product],
    categories: list[str],
    config: AiConfig,
) -> None:
    brands: list[str] = []
    if config.provider == "openai":
        everything = [ProductRow(id=str(p.id), name=p.name) for p in products]
        brands = await asyncio.to_thread(catalog_brands, everything)
    chosen = choose(settings, config, categories=categories, brands=brands)
    by_id = {str(p.id): p for p in products}
    size = settings.ai_batch_size
    call_size = max(len(products), 1) if chosen.name == "local" else size
    processed = stored = 0
    groups: list[DuplicateGroup] = []
    for call in _chunks(products, call_size):
        rows = [ProductRow(id=str(p.id), name=p.name) for p in call]
        result: NormalizeResult = await asyncio.to_thread(run_provider, chosen, rows)
        groups.extend(result.groups)
        suggestions = {s.id: s for s in result.suggestions}
        for batch in _chunks(call, size):
            found = [
                rename_row(tenant_id, run_id, p, suggestions[str(p.id)])
                for p in batch
                if str(p.id) in suggestions
            ]
            rows_out = [r for r in found if r is not None]
            processed += len(batch)
            stored += len(rows_out)
            async with tenant_transaction(sm, tenant_id) as session:
                await repo.insert_suggestions(session, rows_out)
                await repo.update_run(
                    session,
                    tenant_id,
                    run_id,
                    processed=processed,
                    suggestions=stored,
                    updated_at=datetime.now(UTC),
                )
    merges = [m for m in (merge_row(tenant_id, run_id, by_id, g) for g in groups) if m]
    async with tenant_transaction(sm, tenant_id) as session:
        await repo.insert_suggestions(session, merges)
        now = datetime.now(UTC)
        await repo.update_run(
            session,
            tenant_id,
            run_id,
            status="done",
            processed=len(products),
            suggestions=stored + len(merges),
            finished_at=now,
            updated_at=now,
        )


async def run_job(context: procrastinate.JobContext, *, tenant_id: str, run_id: str) -> str:
    app: FastAPI = context.additional_context["app"]
    return await run_catalog(app, uuid.UUID(tenant_id), uuid.UUID(run_id))


TASKS = [TaskSpec(name=RUN, fn=run_job, queue=QUEUE)]
