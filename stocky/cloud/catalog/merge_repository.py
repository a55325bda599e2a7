"""Every query of a product merge (stocky.cloud.catalog.merge) and the push's lookup of
merged products. Each filters by tenant as well as RLS does."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.kit.locks import hold_tenant_lock
from stocky.cloud.kit.sql import uuids
from stocky.cloud.models import (
    Inventory,
    Product,
    ProductBarcode,
    ProductMerge,
    Transaction,
    Transfer,
    TransferLine,
)
from stocky.cloud.reports.rollups import PRODUCT_DAILY, SUMS

OPEN_TRANSFER_STATUSES = ("pending", "processing")

# A merge holds its tenant's merge lock exclusively, every push holds it shared from before
# its first write: a push either applies wholly before the merge (whose statements then see
# its movements) or resolves its products after the merge committed (and maps them to the
# survivor). Taken first by both, it cannot close a cycle with any row lock.


async def hold_merges_off(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    """A push's share of the merge lock, until its transaction ends."""
    await hold_tenant_lock(session, "merges", tenant_id, shared=True)


async def lock_merges(session: AsyncSession, tenant_id: uuid.UUID) -> None:
    await hold_tenant_lock(session, "merges", tenant_id, shared=False)
    # The report rollups are re-keyed too: a rebuild (which holds this exclusively) waits
    # for the merge, or the merge for it, like a push's additions do.
    await hold_tenant_lock(session, "reports", tenant_id, shared=True)


# A merged product still inactive: reactivated by hand, it stands for itself again.
SURVIVORS_SQL = text(
    """
    SELECT m.merged_id, m.survivor_id FROM product_merges AS m
    JOIN products AS p ON p.tenant_id = m.tenant_id AND p.id = m.merged_id
    WHERE m.tenant_id = :tenant_id AND m.merged_id = ANY(CAST(:ids AS uuid[])) AND NOT p.active
    """
)


async def survivors(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Which of these products were merged, and into which product (one statement)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await session.execute(SURVIVORS_SQL, {"tenant_id": tenant_id, "ids": wanted})
    return {row[0]: row[1] for row in rows}


async def lock_open_transfers(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Lock the open transfers with a line of any of these products, in id order: the
    transfer job locks its transfer before its stock, so it never holds stock we wait for."""
    has_line = (
        select(TransferLine.id)
        .where(
            TransferLine.tenant_id == Transfer.tenant_id,
            TransferLine.transfer_id == Transfer.id,
            TransferLine.product_id == uuids(product_ids),
        )
        .exists()
    )
    stmt = (
        select(Transfer.id)
        .where(
            Transfer.tenant_id == tenant_id,
            Transfer.status.in_(OPEN_TRANSFER_STATUSES),
            has_line,
        )
        .order_by(Transfer.id)
        .with_for_update(of=Transfer)
    )
    return list((await session.execute(stmt)).scalars())


async def lock_products(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Product]:
    stmt = (
        select(Product)
        .where(Product.tenant_id == tenant_id, Product.id == uuids(product_ids))
        .order_by(Product.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {p.id: p for p in (await session.execute(stmt)).scalars()}


async def lock_stock(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
) -> list[Inventory]:
    """Every stock row of these products, locked in (sede, product) order (the order of
    stocky.cloud.transfers.repository.lock_stock and of a push's stock additions)."""
    stmt = (
        select(Inventory)
        .where(Inventory.tenant_id == tenant_id, Inventory.product_id == uuids(product_ids))
        .order_by(Inventory.sede_id, Inventory.product_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def add_stock(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    survivor_id: uuid.UUID,
    by_sede: dict[uuid.UUID, tuple[Decimal, Inventory | None]],
) -> None:
    """Add each sede's quantity to the survivor's row there, creating it (with the
    thresholds of `template`, a merged product's row) where it has none."""
    for sede_id, (qty, template) in sorted(by_sede.items()):
        stmt = pg_insert(Inventory).values(
            tenant_id=tenant_id,
            sede_id=sede_id,
            product_id=survivor_id,
            quantity=qty,
            min_stock=template.min_stock if template else Decimal(0),
            max_stock=template.max_stock if template else None,
            last_movement_at=func.now(),
        )
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=["tenant_id", "sede_id", "product_id"],
                set_={
                    "quantity": Inventory.quantity + stmt.excluded.quantity,
                    "version": Inventory.version + 1,
                    "updated_at": func.now(),
                },
            )
        )


async def empty_stock(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
) -> None:
    """The merged products' rows go to 0 (their movements now belong to the survivor)."""
    await session.execute(
        update(Inventory)
        .where(
            Inventory.tenant_id == tenant_id,
            Inventory.product_id == uuids(product_ids),
            Inventory.quantity != 0,
        )
        .values(quantity=0, version=Inventory.version + 1, updated_at=func.now())
        .execution_options(synchronize_session=False)
    )


async def repoint_movements(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    survivor_id: uuid.UUID,
    merged_ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, int]:
    """Every movement of the merged products now names the survivor; counts per product."""
    stmt = (
        update(Transaction)
        .where(Transaction.tenant_id == tenant_id, Transaction.product_id == uuids(merged_ids))
        .values(product_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
    counts_stmt = (
        select(Transaction.product_id, func.count())
        .where(Transaction.tenant_id == tenant_id, Transaction.product_id == uuids(merged_ids))
        .group_by(Transaction.product_id)
    )
    counts = {pid: int(n) for pid, n in (await session.execute(counts_stmt))}
    await session.execute(stmt)
    return counts


async def open_lines(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    transfer_ids: Sequence[uuid.UUID],
    product_ids: Sequence[uuid.UUID],
) -> list[TransferLine]:
    if not transfer_ids:
        return []
    stmt = (
        select(TransferLine)
        .where(
            TransferLine.tenant_id == tenant_id,
            TransferLine.transfer_id == uuids(transfer_ids),
            TransferLine.product_id == uuids(product_ids),
        )
        .order_by(TransferLine.transfer_id, TransferLine.id)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(stmt)).scalars())


async def set_line(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    line_id: uuid.UUID,
    product_id: uuid.UUID,
    qty: Decimal,
) -> None:
    await session.execute(
        update(TransferLine)
        .where(TransferLine.tenant_id == tenant_id, TransferLine.id == line_id)
        .values(product_id=product_id, quantity=qty, version=TransferLine.version + 1)
        .execution_options(synchronize_session=False)
    )


async def delete_lines(
    session: AsyncSession, tenant_id: uuid.UUID, line_ids: Sequence[uuid.UUID]
) -> None:
    if line_ids:
        await session.execute(
            delete(TransferLine)
            .where(TransferLine.tenant_id == tenant_id, TransferLine.id == uuids(line_ids))
            .execution_options(synchronize_session=False)
        )


async def extra_barcodes(
    session: AsyncSession, tenant_id: uuid.UUID, product_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str]]:
    stmt = (
        select(ProductBarcode.product_id, ProductBarcode.barcode)
        .where(
            ProductBarcode.tenant_id == tenant_id,
            ProductBarcode.product_id == uuids(product_ids),
        )
        .order_by(ProductBarcode.barcode)
    )
    return [(row[0], row[1]) for row in await session.execute(stmt)]


async def deactivate(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    merged_ids: Sequence[uuid.UUID],
    actor_user_id: uuid.UUID | None,
) -> None:
    """The versioned update the cajas pull: inactive, and the primary barcode freed (the
    survivor takes it)."""
    await session.execute(
        update(Product)
        .where(Product.tenant_id == tenant_id, Product.id == uuids(merged_ids))
        .values(
            active=False,
            barcode=None,
            last_modified_by=actor_user_id,
            version=Product.version + 1,
            last_modified_at=func.now(),
            updated_at=func.now(),
        )
        .execution_options(synchronize_session=False)
    )


async def move_barcodes(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    survivor_id: uuid.UUID,
    merged_ids: Sequence[uuid.UUID],
    primaries: Sequence[str],
) -> None:
    """The merged products' extra barcodes, and their former primary ones, become the
    survivor's extra barcodes."""
    await session.execute(
        update(ProductBarcode)
        .where(
            ProductBarcode.tenant_id == tenant_id,
            ProductBarcode.product_id == uuids(merged_ids),
        )
        .values(product_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
    if primaries:
        await session.execute(
            insert(ProductBarcode),
            [{"tenant_id": tenant_id, "product_id": survivor_id, "barcode": c} for c in primaries],
        )


async def survivor_update(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    survivor_id: uuid.UUID,
    values: dict[str, Any],
) -> None:
    await session.execute(
        update(Product)
        .where(Product.tenant_id == tenant_id, Product.id == survivor_id)
        .values(
            **values,
            version=Product.version + 1,
            last_modified_at=func.now(),
            updated_at=func.now(),
        )
        .execution_options(synchronize_session=False)
    )


async def record_merges(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    survivor_id: uuid.UUID,
    rows: list[dict[str, Any]],
) -> None:
    """One row per merged product; earlier merges into a merged product follow it to the
    survivor (one hop for the push's lookup); the survivor itself is no longer merged."""
    await session.execute(
        update(ProductMerge)
        .where(
            ProductMerge.tenant_id == tenant_id,
            ProductMerge.survivor_id == uuids([r["merged_id"] for r in rows]),
        )
        .values(survivor_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(ProductMerge)
        .where(ProductMerge.tenant_id == tenant_id, ProductMerge.merged_id == survivor_id)
        .execution_options(synchronize_session=False)
    )
    stmt = pg_insert(ProductMerge).values(
        [{"tenant_id": tenant_id, "survivor_id": survivor_id, **r} for r in rows]
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["tenant_id", "merged_id"],
            set_={
                "survivor_id": stmt.excluded.survivor_id,
                "merged_at": func.now(),
                "merged_by": stmt.excluded.merged_by,
                "details": stmt.excluded.details,
            },
        )
    )


_ROLLUP_SUMS = [*SUMS, "lines"]
MERGE_ROLLUPS_SQL = text(
    f"""
    WITH gone AS (
        DELETE FROM report_product_daily
        WHERE tenant_id = :tenant_id AND product_id = ANY(CAST(:merged AS uuid[]))
        RETURNING *
    )
    INSERT INTO report_product_daily (tenant_id, sede_id, day, product_id,
                                      {", ".join(_ROLLUP_SUMS)})
    SELECT tenant_id, sede_id, day, CAST(:survivor AS uuid),
           {", ".join(f"sum({c})" for c in _ROLLUP_SUMS)}
    FROM gone GROUP BY tenant_id, sede_id, day
    ON CONFLICT (tenant_id, sede_id, day, product_id) DO UPDATE SET
        {", ".join(f"{c} = {PRODUCT_DAILY.name}.{c} + excluded.{c}" for c in _ROLLUP_SUMS)}
    """
)


async def merge_rollups(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    survivor_id: uuid.UUID,
    merged_ids: Sequence[uuid.UUID],
) -> None:
    """The per-product report rows follow the movements (what a rebuild would compute)."""
    await session.execute(
        MERGE_ROLLUPS_SQL,
        {"tenant_id": tenant_id, "survivor": survivor_id, "merged": list(merged_ids)},
    )
