"""Stock of every product across all the tenant's sedes, cached in Redis.

The cache is keyed by a per-tenant generation that every committed change of the tenant's
stock or catalog bumps (the same commit hook that nudges the cajas). A reader reads the
generation BEFORE its query runs: a change that commits after the query's snapshot bumps
the generation after that commit, so a page computed from the older snapshot is stored
under a generation nobody asks for again. The TTL only bounds memory; Redis being down
costs the cache, never the answer.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from decimal import Decimal

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.inventory import repository as repo
from stocky.cloud.inventory.schemas import (
    ConsolidatedItem,
    ConsolidatedItems,
    ConsolidatedPage,
    SedeStock,
)
from stocky.cloud.kit.pagination import (
    decode_name_cursor,
    encode_cursor,
)
from stocky.cloud.redis import RedisClient

log = logging.getLogger(__name__)

TTL_SECONDS = 300
_GENERATION = "stocky:inventory:gen:{tenant}"
_PAGE = "stocky:inventory:consolidated:{tenant}:{generation}:{query}"


async def stock_changed(redis: RedisClient, tenant_id: uuid.UUID) -> None:
    """After a commit that touched the tenant's stock or catalog: older pages go stale."""
    try:
        await redis.incr(_GENERATION.format(tenant=tenant_id))
    except RedisError:
        # Pages of the old generation may be served until their TTL: say so loudly.
        log.exception("could not invalidate the consolidated stock of tenant %s", tenant_id)


async def _cache_key(redis: RedisClient, tenant_id: uuid.UUID, query: str) -> str | None:
    try:
        generation = int(await redis.get(_GENERATION.format(tenant=tenant_id)) or 0)
    except RedisError:
        log.warning("Redis unavailable: consolidated stock computed without the cache")
        return None
    digest = hashlib.sha256(query.encode()).hexdigest()[:32]
    return _PAGE.format(tenant=tenant_id, generation=generation, query=digest)


async def consolidated_stock(
    session: AsyncSession,
    redis: RedisClient,
    user: Principal,
    *,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[ConsolidatedPage, bool]:
    """One page of products with their stock per sede and in total; True if from cache."""
    after = decode_name_cursor(cursor)
    # Before any query of this request: see the module docstring.
    key = await _cache_key(redis, user.tenant_id, f"{q or ''}\x00{cursor or ''}\x00{limit}")
    sedes = await repo.sede_names(session, user.tenant_id)
    items = await _cached_items(redis, key)
    hit = items is not None
    if items is None:
        items = await _compute(session, user.tenant_id, q=q, after=after, limit=limit)
        await _store(redis, key, items)
    return ConsolidatedPage(sedes=sedes, **items.model_dump()), hit


async def _cached_items(redis: RedisClient, key: str | None) -> ConsolidatedItems | None:
    if key is None:
        return None
    try:
        raw = await redis.get(key)
    except RedisError:
        return None
    return None if raw is None else ConsolidatedItems.model_validate_json(raw)


async def _store(redis: RedisClient, key: str | None, items: ConsolidatedItems) -> None:
    if key is None:
        return
    try:
        await redis.set(key, items.model_dump_json(), ex=TTL_SECONDS)
    except RedisError:
        log.warning("Redis unavailable: consolidated stock page not cached")


async def _compute(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    q: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> ConsolidatedItems:
    products = await repo.product_page(session, tenant_id, q=q, after=after, limit=limit + 1)
    page = products[:limit]
    stock = await repo.stock_of_products(session, tenant_id, [p.id for p in page])
    items = []
    for product in page:
        rows = stock.get(product.id, [])
        items.append(
            ConsolidatedItem(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                unit=product.unit,
                total=sum((r.quantity for r in rows), Decimal("0.000")),
                sedes=[
                    SedeStock(
                        sede_id=r.sede_id,
                        quantity=r.quantity,
                        low=r.min_stock > 0 and r.quantity <= r.min_stock,
                        negative=r.quantity < 0,
                    )
                    for r in rows
                ],
            )
        )
    next_cursor = None
    if len(products) > limit:
        next_cursor = encode_cursor(page[-1].name, str(page[-1].id))
    return ConsolidatedItems(items=items, next_cursor=next_cursor)
