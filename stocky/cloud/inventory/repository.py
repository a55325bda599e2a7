"""Queries on stock rows and movements. Every one also filters by tenant (RLS too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    exists,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.catalog.repository import product_matches
from stocky.cloud.inventory.schemas import SedeName
from stocky.cloud.kit.sql import rows_from_json, texts, uuids
from stocky.cloud.models import Inventory, Product, Sede, Transaction


async def sede_exists(session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID) -> bool:
    stmt = select(exists().where(Sede.tenant_id == tenant_id, Sede.id == sede_id))
    return bool((await session.execute(stmt)).scalar())


async def products_by_id(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Product]:
    if not ids:
        return {}
    stmt = select(Product).where(Product.tenant_id == tenant_id, Product.id == uuids(ids))
    return {p.id: p for p in (await session.execute(stmt)).scalars()}


async def products_by_sku(
    session: AsyncSession, tenant_id: uuid.UUID, skus: Sequence[str]
) -> dict[str, Product]:
    if not skus:
        return {}
    stmt = select(Product).where(Product.tenant_id == tenant_id, Product.sku == texts(skus))
    return {p.sku: p for p in (await session.execute(stmt)).scalars()}


async def products_with_movements(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    if not ids:
        return set()
    stmt = (
        select(Transaction.product_id)
        .where(
            Transaction.tenant_id == tenant_id,
            Transaction.sede_id == sede_id,
            Transaction.product_id == uuids(ids),
        )
        .distinct()
    )
    return set((await session.execute(stmt)).scalars())


MOVEMENTS = cast(Table, Transaction.__table__)
STOCK = cast(Table, Inventory.__table__)
MOVEMENT_COLUMNS = [
    "tenant_id",
    "sede_id",
    "id",
    "product_id",
    "type",
    "quantity",
    "unit_price",
    "unit_cost",
    "discount",
    "product_version",
    "document_id",
    "sale_id",
    "ref_id",
    "transfer_id",
    "device_id",
    "user_id",
    "op_id",
    "note",
    "client_timestamp",
]
_INSERT_MOVEMENTS = (
    insert(MOVEMENTS)
    .from_select(MOVEMENT_COLUMNS, rows_from_json(MOVEMENTS, MOVEMENT_COLUMNS))
    .on_conflict_do_nothing(index_elements=["tenant_id", "id"])
    .returning(MOVEMENTS.c.id, MOVEMENTS.c.product_id, MOVEMENTS.c.quantity)
)
_STOCK_COLUMNS = ["tenant_id", "sede_id", "product_id", "quantity"]
_ADD = insert(STOCK).from_select(
    [*_STOCK_COLUMNS, "last_movement_at"], rows_from_json(STOCK, _STOCK_COLUMNS, func.now())
)
_ADD_TO_STOCK = _ADD.on_conflict_do_update(
    index_elements=["tenant_id", "sede_id", "product_id"],
    set_={
        "quantity": STOCK.c.quantity + _ADD.excluded.quantity,
        "version": STOCK.c.version + 1,
        "last_movement_at": _ADD.excluded.last_movement_at,
        "updated_at": func.now(),
    },
).returning(STOCK.c.product_id, STOCK.c.quantity, STOCK.c.version)


async def insert_movements(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert-if-absent by id: a movement pushed twice is stored once.

    Returns (id, product_id, quantity) of the rows actually inserted.
    """
    if not rows:
        return []
    return list((await session.execute(_INSERT_MOVEMENTS, {"rows": rows})).all())


async def add_to_stock(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    deltas: list[tuple[uuid.UUID, Decimal]],
) -> list[Any]:
    """Add each delta to its stock row, creating it at 0 first; returns the new levels.

    The caller passes one delta per product, sorted, so concurrent batches lock rows in
    the same order and never deadlock (the statement takes the rows in array order).
    """
    if not deltas:
        return []
    rows = [
        {"tenant_id": tenant_id, "sede_id": sede_id, "product_id": product_id, "quantity": delta}
        for product_id, delta in deltas
    ]
    return list((await session.execute(_ADD_TO_STOCK, {"rows": rows})).all())


async def set_thresholds(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    product_id: uuid.UUID,
    min_stock: Decimal,
    max_stock: Decimal | None,
) -> None:
    stmt = insert(Inventory).values(
        tenant_id=tenant_id,
        sede_id=sede_id,
        product_id=product_id,
        min_stock=min_stock,
        max_stock=max_stock,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["tenant_id", "sede_id", "product_id"],
        set_={
            "min_stock": stmt.excluded.min_stock,
            "max_stock": stmt.excluded.max_stock,
            "version": Inventory.version + 1,
            "updated_at": func.now(),
        },
    )
    await session.execute(stmt)


def _stock_select(tenant_id: uuid.UUID, sede_id: uuid.UUID) -> Any:
    join = and_(
        Inventory.tenant_id == Product.tenant_id,
        Inventory.product_id == Product.id,
        Inventory.sede_id == sede_id,
    )
    return (
        select(Product, Inventory).outerjoin(Inventory, join).where(Product.tenant_id == tenant_id)
    )


async def stock_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    *,
    q: str | None,
    status: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Product, Inventory | None]]:
    """Every active product (and any inactive one with a stock row) with its stock here."""
    stmt = _stock_select(tenant_id, sede_id).where(
        or_(Product.active.is_(true()), Inventory.product_id.is_not(None))
    )
    if q:
        stmt = stmt.where(product_matches(q))
    quantity = func.coalesce(Inventory.quantity, 0)
    if status == "low":
        stmt = stmt.where(Inventory.min_stock > 0, quantity <= Inventory.min_stock)
    elif status == "negative":
        stmt = stmt.where(quantity < 0)
    elif status == "over":
        stmt = stmt.where(Inventory.max_stock.is_not(None), quantity > Inventory.max_stock)
    if after is not None:
        stmt = stmt.where(tuple_(Product.name, Product.id) > tuple_(*after))
    stmt = stmt.order_by(Product.name, Product.id).limit(limit)
    return [(p, i) for p, i in (await session.execute(stmt)).all()]


async def stock_item(
    session: AsyncSession, tenant_id: uuid.UUID, sede_id: uuid.UUID, product_id: uuid.UUID
) -> tuple[Product, Inventory | None] | None:
    stmt = _stock_select(tenant_id, sede_id).where(Product.id == product_id)
    stmt = stmt.execution_options(populate_existing=True)
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


async def sede_names(session: AsyncSession, tenant_id: uuid.UUID) -> list[SedeName]:
    stmt = select(Sede.id, Sede.name).where(Sede.tenant_id == tenant_id).order_by(Sede.name)
    return [SedeName(id=i, name=n) for i, n in (await session.execute(stmt)).all()]


async def product_page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    q: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Product]:
    """Active products, and inactive ones still stocked somewhere, by name."""
    stocked = exists().where(
        Inventory.tenant_id == Product.tenant_id,
        Inventory.product_id == Product.id,
        Inventory.quantity != 0,
    )
    stmt = select(Product).where(Product.tenant_id == tenant_id, or_(Product.active, stocked))
    if q:
        stmt = stmt.where(product_matches(q))
    if after is not None:
        stmt = stmt.where(tuple_(Product.name, Product.id) > tuple_(*after))
    stmt = stmt.order_by(Product.name, Product.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def stock_of_products(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Inventory]]:
    """Each product's stock rows, one per sede that has one."""
    if not product_ids:
        return {}
    stmt = (
        select(Inventory)
        .where(Inventory.tenant_id == tenant_id, Inventory.product_id == uuids(product_ids))
        .order_by(Inventory.product_id, Inventory.sede_id)
    )
    by_product: dict[uuid.UUID, list[Inventory]] = {}
    for row in (await session.execute(stmt)).scalars():
        by_product.setdefault(row.product_id, []).append(row)
    return by_product
