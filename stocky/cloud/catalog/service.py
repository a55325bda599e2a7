"""Catalog rules: unique SKU and barcodes per tenant, versioned edits, no hard deletes.

Services take the request's session and never commit. Every write goes through the
`products` change-feed trigger, so the cajas pull it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.catalog import repository as repo
from stocky.cloud.catalog.schemas import ProductCreate, ProductOut, ProductPage, ProductUpdate
from stocky.cloud.kit.pagination import (
    decode_name_cursor,
    encode_cursor,
)
from stocky.cloud.models import Product
from stocky.core.errors import ConflictError, NotFoundError, StockyError
from stocky.core.ids import new_id

# Unique constraints of the catalog, by name, and the field each one protects.
UNIQUE_FIELDS = {
    "uq_products_tenant_id_sku": "sku",
    "uq_products_tenant_id_barcode": "barcode",
    "pk_product_barcodes": "barcodes",
}


def product_out(product: Product, barcodes: list[str]) -> ProductOut:
    return ProductOut(
        id=product.id,
        sku=product.sku,
        name=product.name,
        category=product.category,
        barcode=product.barcode,
        barcodes=sorted(barcodes),
        price=product.price,
        cost=product.cost,
        tax_rate=product.tax_rate,
        unit=product.unit,
        active=product.active,
        image_url=product.image_url,
        image_key=product.image_key,
        version=product.version,
        last_modified_at=product.last_modified_at,
        last_modified_by=product.last_modified_by,
        created_at=product.created_at,
    )


async def _out(session: AsyncSession, product: Product) -> ProductOut:
    extra = await repo.extra_barcodes(session, product.tenant_id, [product.id])
    return product_out(product, extra.get(product.id, []))


@asynccontextmanager
async def unique_violations() -> AsyncIterator[None]:
    """Turn a unique violation that slipped past the checks (a race) into a 409."""
    try:
        yield
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        field = UNIQUE_FIELDS.get(constraint or "")
        if field is None:
            raise
        raise ConflictError(f"{field}: already used by another product", field=field) from exc


async def check_unique(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    product_id: uuid.UUID | None,
    sku: str | None,
    barcodes: Iterable[tuple[str, str]],
) -> None:
    """409 naming the field when a SKU or barcode already belongs to another product.

    A barcode is unique across primary and extra barcodes, which no single index enforces.
    `barcodes` holds (field, code) pairs so the answer names the field that clashed.
    """
    if sku is not None:
        owner = await repo.sku_owner(session, tenant_id, sku)
        if owner is not None and owner != product_id:
            raise ConflictError(f"sku: {sku!r} is already used by another product", field="sku")
    pairs = list(barcodes)
    owners = await repo.barcode_owners(session, tenant_id, (code for _, code in pairs))
    for field, code in pairs:
        holder = owners.get(code)
        if holder is not None and holder[0] != product_id:
            raise ConflictError(
                f"{field}: {code!r} is already used by product {holder[1]!r}",
                field=field,
                product_id=str(holder[0]),
            )


def _barcode_pairs(barcode: str | None, extra: list[str]) -> list[tuple[str, str]]:
    pairs = [("barcode", barcode)] if barcode else []
    return pairs + [("barcodes", code) for code in extra]


def _check_primary_not_extra(barcode: str | None, extra: list[str]) -> None:
    if barcode is not None and barcode in extra:
        raise ConflictError(
            f"barcodes: {barcode!r} is already this product's main barcode", field="barcodes"
        )


async def get_product(session: AsyncSession, user: Principal, product_id: uuid.UUID) -> ProductOut:
    product = await repo.get_product(session, user.tenant_id, product_id)
    if product is None:
        raise NotFoundError("No such product.")
    return await _out(session, product)


async def list_products(
    session: AsyncSession,
    user: Principal,
    *,
    q: str | None,
    category: str | None,
    active: bool | None,
    cursor: str | None,
    limit: int,
) -> ProductPage:
    after = decode_name_cursor(cursor)
    rows = await repo.list_products(
        session,
        user.tenant_id,
        q=q.strip() if q else None,
        category=category,
        active=active,
        after=after,
        limit=limit + 1,
    )
    page = rows[:limit]
    extra = await repo.extra_barcodes(session, user.tenant_id, [p.id for p in page])
    next_cursor = None
    if len(rows) > limit:
        last = page[-1]
        next_cursor = encode_cursor(last.name, str(last.id))
    return ProductPage(
        items=[product_out(p, extra.get(p.id, [])) for p in page], next_cursor=next_cursor
    )


async def create_product(session: AsyncSession, user: Principal, data: ProductCreate) -> ProductOut:
    _check_primary_not_extra(data.barcode, data.barcodes)
    await check_unique(
        session,
        user.tenant_id,
        product_id=None,
        sku=data.sku,
        barcodes=_barcode_pairs(data.barcode, data.barcodes),
    )
    values: dict[str, Any] = data.model_dump(exclude={"barcodes"})
    values |= {"tenant_id": user.tenant_id, "id": new_id(), "last_modified_by": user.user_id}
    async with unique_violations():
        product = await repo.insert_product(session, values)
        await repo.replace_extra_barcodes(session, user.tenant_id, {product.id: data.barcodes})
    return product_out(product, data.barcodes)


async def _stale(session: AsyncSession, user: Principal, product_id: uuid.UUID) -> StockyError:
    current = await repo.get_product(session, user.tenant_id, product_id)
    if current is None:
        return NotFoundError("No such product.")
    out = await _out(session, current)
    return ConflictError(
        f"version: the product changed since the version you edited (now {current.version})",
        field="version",
        current=out.model_dump(mode="json"),
    )


async def update_product(
    session: AsyncSession, user: Principal, product_id: uuid.UUID, data: ProductUpdate
) -> ProductOut:
    """Apply an edit based on `data.version`; a stale version answers 409 with the row."""
    existing = await repo.get_product(session, user.tenant_id, product_id)
    if existing is None:
        raise NotFoundError("No such product.")
    changes = data.changes()
    extra: list[str] | None = changes.pop("barcodes", None)
    barcode = changes.get("barcode", existing.barcode)
    if extra is None:
        current_extra = (await repo.extra_barcodes(session, user.tenant_id, [product_id])).get(
            product_id, []
        )
        _check_primary_not_extra(barcode, current_extra)
    else:
        _check_primary_not_extra(barcode, extra)
    await check_unique(
        session,
        user.tenant_id,
        product_id=product_id,
        sku=changes.get("sku"),
        barcodes=_barcode_pairs(changes.get("barcode"), extra or []),
    )
    changes["last_modified_by"] = user.user_id
    async with unique_violations():
        product = await repo.update_versioned(
            session, user.tenant_id, product_id, data.version, changes
        )
        if product is None:
            raise await _stale(session, user, product_id)
        if extra is not None:
            await repo.replace_extra_barcodes(session, user.tenant_id, {product_id: extra})
    return await _out(session, product)


async def deactivate_product(
    session: AsyncSession, user: Principal, product_id: uuid.UUID, version: int | None
) -> ProductOut:
    """Products are never deleted (movements and old receipts point at them): deactivate."""
    existing = await repo.get_product(session, user.tenant_id, product_id)
    if existing is None:
        raise NotFoundError("No such product.")
    if not existing.active and version is None:
        return await _out(session, existing)
    base = existing.version if version is None else version
    product = await repo.update_versioned(
        session,
        user.tenant_id,
        product_id,
        base,
        {"active": False, "last_modified_by": user.user_id},
    )
    if product is None:
        raise await _stale(session, user, product_id)
    return await _out(session, product)
