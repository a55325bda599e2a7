"""Every query on products and their extra barcodes. Each also filters by tenant (RLS too)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.kit.sql import texts, uuids
from stocky.cloud.models import Product, ProductBarcode


async def get_product(
    session: AsyncSession, tenant_id: uuid.UUID, product_id: uuid.UUID, *, lock: bool = False
) -> Product | None:
    stmt = select(Product).where(Product.tenant_id == tenant_id, Product.id == product_id)
    if lock:
        stmt = stmt.with_for_update()
    stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def extra_barcodes(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    result: dict[uuid.UUID, list[str]] = defaultdict(list)
    if not product_ids:
        return result
    rows = await session.execute(
        select(ProductBarcode.product_id, ProductBarcode.barcode)
        .where(
            ProductBarcode.tenant_id == tenant_id,
            ProductBarcode.product_id == uuids(product_ids),
        )
        .order_by(ProductBarcode.product_id, ProductBarcode.barcode)
    )
    for product_id, barcode in rows:
        result[product_id].append(barcode)
    return result


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def product_matches(q: str) -> Any:
    """Name or SKU containing `q` (LIKE wildcards in it taken literally), or any barcode `q`."""
    pattern = f"%{_escape_like(q)}%"
    return or_(
        Product.name.ilike(pattern),
        Product.sku.ilike(pattern),
        # Barcodes are scanned whole: exact match keeps it on the unique indexes.
        Product.barcode == q,
        exists().where(
            ProductBarcode.tenant_id == Product.tenant_id,
            ProductBarcode.product_id == Product.id,
            ProductBarcode.barcode == q,
        ),
    )


async def list_products(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    q: str | None,
    category: str | None,
    active: bool | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Product]:
    """A page ordered by (name, id): keyset pagination stays fast and stable under edits."""
    stmt = select(Product).where(Product.tenant_id == tenant_id)
    if q:
        stmt = stmt.where(product_matches(q))
    if category is not None:
        stmt = stmt.where(Product.category == category)
    if active is not None:
        stmt = stmt.where(Product.active == active)
    if after is not None:
        stmt = stmt.where(tuple_(Product.name, Product.id) > tuple_(*after))
    stmt = stmt.order_by(Product.name, Product.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def barcode_owners(
    session: AsyncSession, tenant_id: uuid.UUID, barcodes: Iterable[str]
) -> dict[str, tuple[uuid.UUID, str]]:
    """Which product (id, sku) holds each barcode, as primary or extra."""
    codes = list(set(barcodes))
    if not codes:
        return {}
    primary = select(Product.barcode, Product.id, Product.sku).where(
        Product.tenant_id == tenant_id, Product.barcode == texts(codes)
    )
    extra = (
        select(ProductBarcode.barcode, Product.id, Product.sku)
        .join(
            Product,
            (Product.tenant_id == ProductBarcode.tenant_id)
            & (Product.id == ProductBarcode.product_id),
        )
        .where(ProductBarcode.tenant_id == tenant_id, ProductBarcode.barcode == texts(codes))
    )
    rows = await session.execute(primary.union_all(extra))
    return {str(code): (pid, sku) for code, pid, sku in rows}


async def sku_owner(session: AsyncSession, tenant_id: uuid.UUID, sku: str) -> uuid.UUID | None:
    return (
        await session.execute(
            select(Product.id).where(Product.tenant_id == tenant_id, Product.sku == sku)
        )
    ).scalar_one_or_none()


async def insert_product(session: AsyncSession, values: dict[str, Any]) -> Product:
    product = Product(**values)
    session.add(product)
    await session.flush()
    await session.refresh(product)
    return product


async def update_versioned(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    product_id: uuid.UUID,
    base_version: int,
    values: dict[str, Any],
) -> Product | None:
    """Apply `values` only if the row is still at `base_version`; None when it moved on."""
    stmt = (
        update(Product)
        .where(
            Product.tenant_id == tenant_id,
            Product.id == product_id,
            Product.version == base_version,
        )
        .values(
            **values,
            version=Product.version + 1,
            last_modified_at=func.now(),
            updated_at=func.now(),
        )
        .returning(Product)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def replace_extra_barcodes(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    by_product: dict[uuid.UUID, list[str]],
) -> None:
    """Make each product's extra barcodes exactly the given list (one delete, one insert)."""
    if not by_product:
        return
    await session.execute(
        delete(ProductBarcode).where(
            ProductBarcode.tenant_id == tenant_id,
            ProductBarcode.product_id == uuids(by_product),
        )
    )
    rows = [
        {"tenant_id": tenant_id, "product_id": pid, "barcode": code}
        for pid, codes in by_product.items()
        for code in codes
    ]
    if rows:
        await session.execute(insert(ProductBarcode), rows)


async def products_by_sku(
    session: AsyncSession, tenant_id: uuid.UUID, skus: Sequence[str], *, lock: bool
) -> dict[str, Product]:
    if not skus:
        return {}
    stmt = select(Product).where(Product.tenant_id == tenant_id, Product.sku == texts(skus))
    if lock:
        # Locked in a fixed order so two imports touching the same SKUs cannot deadlock.
        stmt = stmt.order_by(Product.id).with_for_update()
    stmt = stmt.execution_options(populate_existing=True)
    return {p.sku: p for p in (await session.execute(stmt)).scalars()}


async def bulk_insert(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        # Core insert with a list: SQLAlchemy batches it into multi-row INSERTs.
        await session.execute(insert(_products_table()), rows)


_UPDATABLE: tuple[str, ...] = ("sku", "name", "category", "barcode", "price", "cost")
_UPDATABLE += ("tax_rate", "unit", "active", "image_url", "last_modified_by")


def _products_table() -> Table:
    return cast(Table, Product.__table__)


async def bulk_update(
    session: AsyncSession, tenant_id: uuid.UUID, rows: list[dict[str, Any]]
) -> None:
    """Rewrite whole rows by id (executemany), bumping each version once."""
    if not rows:
        return
    table = _products_table()
    stmt = (
        update(table)
        .where(table.c.tenant_id == tenant_id, table.c.id == bindparam("b_id"))
        .values(
            {name: bindparam(f"b_{name}") for name in _UPDATABLE}
            | {
                "version": table.c.version + 1,
                "last_modified_at": func.now(),
                "updated_at": func.now(),
            }
        )
    )
    params = [{f"b_{k}": v for k, v in row.items()} for row in rows]
    await session.execute(stmt, params)


async def all_products(session: AsyncSession, tenant_id: uuid.UUID) -> list[Product]:
    stmt = select(Product).where(Product.tenant_id == tenant_id).order_by(Product.sku)
    return list((await session.execute(stmt)).scalars())
