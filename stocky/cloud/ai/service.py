"""The normalizer for people: a synchronous normalize, the tenant's provider settings, and
catalog runs (started here, done by stocky.cloud.ai.jobs).

The tenant's own categories and its whole catalog's names go to the `local` provider with
the products asked about, so the brands it learns are the catalog's, not only those of the
few rows sent; only names go to any provider (no prices, no stock). Services never commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Sequence

import procrastinate
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.ai import cache, ratelimit
from stocky.cloud.ai import repository as repo
from stocky.cloud.ai.api_schemas import (
    AiSettingsIn,
    AiSettingsOut,
    NormalizeIn,
    NormalizeOut,
    RunOut,
)
from stocky.cloud.ai.engine import catalog_brands, run_provider
from stocky.cloud.ai.jobs import defer_run
from stocky.cloud.ai.registry import PROVIDERS, AiConfig, choose, openai_configured
from stocky.cloud.ai.schemas import ProductRow
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.config import Settings
from stocky.cloud.kit.pagination import InvalidFieldError
from stocky.cloud.models import AiRun
from stocky.cloud.redis import RedisClient
from stocky.core.errors import ForbiddenError, NotFoundError

# Catalog names given to `local` as context of a synchronous call, at most (the whole
# catalog runs as a job).
CONTEXT_MAX = 5000


def require_manager(user: Principal) -> None:
    if not user.at_least("manager"):
        raise ForbiddenError("The catalog normalizer is for managers, admins and the owner.")


def require_admin(user: Principal) -> None:
    if not user.at_least("admin"):
        raise ForbiddenError("The normalizer's settings are for admins and the owner.")


async def tenant_config(session: AsyncSession, tenant_id: uuid.UUID) -> AiConfig:
    return AiConfig.from_settings((await repo.tenant(session, tenant_id)).settings)


def settings_out(config: AiConfig, settings: Settings) -> AiSettingsOut:
    return AiSettingsOut(
        provider="openai" if config.provider == "openai" else "local",
        model=config.model,
        base_url=config.base_url,
        openai_available=openai_configured(settings),
    )


async def get_settings(session: AsyncSession, settings: Settings, user: Principal) -> AiSettingsOut:
    require_admin(user)
    return settings_out(await tenant_config(session, user.tenant_id), settings)


async def put_settings(
    session: AsyncSession, settings: Settings, user: Principal, body: AiSettingsIn
) -> AiSettingsOut:
    """Provider, model and base_url of the tenant (a key is never accepted here)."""
    require_admin(user)
    tenant = await repo.tenant(session, user.tenant_id, lock=True)
    ai = {
        "provider": body.provider,
        "model": body.model,
        "base_url": str(body.base_url) if body.base_url else None,
    }
    # A new dict, so SQLAlchemy sees the JSONB column change (and the audit hook records it).
    tenant.settings = {**(tenant.settings or {}), "ai": ai}
    await session.flush()
    return settings_out(AiConfig.from_settings(tenant.settings), settings)


def _validate(body: NormalizeIn, max_items: int) -> None:
    if (body.product_ids is None) == (body.rows is None):
        raise InvalidFieldError("product_ids", "send either product_ids or rows, not both")
    field, items = (
        ("product_ids", body.product_ids) if body.product_ids is not None else ("rows", body.rows)
    )
    assert items is not None
    if not items:
        raise InvalidFieldError(field, "at least one item")
    if len(items) > max_items:
        raise InvalidFieldError(
            field, f"at most {max_items} items at once; run the whole catalog with /api/ai/runs"
        )
    if body.rows is not None:
        seen: set[str] = set()
        for index, row in enumerate(body.rows):
            if row.id in seen:
                raise InvalidFieldError(f"rows.{index}.id", f"repeated id {row.id!r}")
            seen.add(row.id)


async def _input_rows(
    session: AsyncSession, tenant_id: uuid.UUID, body: NormalizeIn
) -> list[ProductRow]:
    if body.rows is not None:
        return [ProductRow(id=r.id, name=r.name) for r in body.rows]
    assert body.product_ids is not None
    ids = list(dict.fromkeys(body.product_ids))
    found = await repo.products(session, tenant_id, ids)
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        raise InvalidFieldError(
            "product_ids", f"no such products: {', '.join(unknown)}", unknown=unknown
        )
    return [ProductRow(id=str(i), name=found[i].name) for i in ids]


def _digest(rows: Sequence[ProductRow]) -> str:
    raw = json.dumps([(r.id, r.name) for r in rows], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


async def normalize(
    session: AsyncSession,
    redis: RedisClient,
    settings: Settings,
    user: Principal,
    body: NormalizeIn,
) -> NormalizeOut:
    """Suggestions and duplicate groups for up to `ai_sync_max_items` products, now.
    Nothing is changed; the same input answers from the cache."""
    require_manager(user)
    _validate(body, settings.ai_sync_max_items)
    rows = await _input_rows(session, user.tenant_id, body)
    config = await tenant_config(session, user.tenant_id)
    categories = await repo.categories(session, user.tenant_id)
    if (body.provider or config.provider) not in PROVIDERS:
        raise InvalidFieldError("provider", f"one of {', '.join(PROVIDERS)}")
    names = await repo.catalog_names(session, user.tenant_id)
    catalog = [ProductRow(id=str(pid), name=name) for pid, name in names[:CONTEXT_MAX]]
    brands: list[str] = []
    if (body.provider or config.provider) == "openai":
        brands = await asyncio.to_thread(catalog_brands, catalog)
    chosen = choose(settings, config, requested=body.provider, categories=categories, brands=brands)
    # `local` reads the catalog with the rows; a model is told its brands instead.
    context = catalog if chosen.name == "local" else []
    await ratelimit.take(
        redis,
        user.tenant_id,
        capacity=settings.ai_rate_capacity,
        per_minute=settings.ai_rate_per_minute,
    )
    key = cache.cache_key(
        rows,
        provider=chosen.name,
        model=chosen.model,
        version=chosen.version,
        context={
            "tenant": str(user.tenant_id),
            "categories": categories,
            "catalog": _digest(context),
        },
    )
    result = await cache.get(redis, key)
    cached = result is not None
    if result is None:
        result = await asyncio.to_thread(run_provider, chosen, rows, context)
        await cache.put(redis, key, result, settings.ai_cache_ttl_s)
    return NormalizeOut(
        provider=result.provider,
        model=result.model or chosen.model,
        cached=cached,
        suggestions=result.suggestions,
        groups=result.groups,
        usage=result.usage,
        batches=result.batches,
    )


async def start_run(
    session: AsyncSession, jobs: procrastinate.App, settings: Settings, user: Principal
) -> RunOut:
    """A run over the tenant's active products, its job deferred in this transaction."""
    require_manager(user)
    config = await tenant_config(session, user.tenant_id)
    chosen = choose(settings, config)
    run = await repo.insert_run(
        session,
        AiRun(
            tenant_id=user.tenant_id,
            provider=chosen.name,
            model=chosen.model,
            created_by=user.user_id,
        ),
    )
    await defer_run(session, jobs, user.tenant_id, run.id)
    return RunOut.model_validate(run)


async def get_run(session: AsyncSession, user: Principal, run_id: uuid.UUID) -> RunOut:
    require_manager(user)
    run = await repo.get_run(session, user.tenant_id, run_id)
    if run is None:
        raise NotFoundError("No such run.", field="run_id")
    return RunOut.model_validate(run)


async def list_runs(session: AsyncSession, user: Principal, limit: int) -> list[RunOut]:
    """The tenant's latest runs, newest first."""
    require_manager(user)
    return [
        RunOut.model_validate(r) for r in await repo.recent_runs(session, user.tenant_id, limit)
    ]
