"""Merging duplicate products into one (issue 18 item 4): every movement, the stock per
sede, the open transfer lines and the barcodes of the merged products move to the survivor,
and the merged products are deactivated, in the caller's transaction (never committed here).

Movements are re-pointed (`transactions.product_id` := survivor) rather than left in place:
every movement is kept, the survivor's history (and the reports) include the merged
products' sales, and per (sede, product) the quantity is still the sum of the movements:
the survivor's row gets each merged row's quantity added, the merged rows go to 0 with no
movement left. Both changes are in the feed, so every caja pulls them.

A caja may still push an op naming a merged product (queued before it pulled the merge):
the push maps it to the survivor through `product_merges` (`resolve_products`).

Locks, always in this order: the tenant's merge lock (a push holds it shared from before its
first write), the open transfers with a line of any product involved (the transfer job locks
its transfer first), the products (id order), then the stock rows ((sede, product) order).

Cache: the consolidated stock cache needs no call here; the commit hook that nudges the
cajas bumps the tenant's stock generation once this transaction's feed rows commit.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.audit.recorder import AUDIT_KEY, AuditContext
from stocky.cloud.catalog import merge_repository as repo
from stocky.cloud.models import AuditLog, Inventory, Product, TransferLine
from stocky.core.errors import ConflictError, FieldError
from stocky.core.ids import new_id


class MergeRefusedError(ConflictError):
    """A merge that cannot be done as asked (409), naming the product at fault."""

    code = "merge_refused"


@dataclass(frozen=True)
class MergeResult:
    survivor_id: uuid.UUID
    merged_ids: list[uuid.UUID]
    movements: int = 0  # movements re-pointed to the survivor
    stock_rows: int = 0  # sedes whose stock of a merged product was added to the survivor's
    transfer_lines: int = 0  # open transfer lines moved (or summed) to the survivor
    barcodes: list[str] = field(default_factory=list)  # barcodes the survivor took


def _name(product: Product) -> str:
    return f"{product.sku} {product.name}"


def _check(
    survivor_id: uuid.UUID, merged_ids: list[uuid.UUID], products: dict[uuid.UUID, Product]
) -> Product:
    """The survivor, or the refusal naming the product at fault."""
    survivor = products.get(survivor_id)
    if survivor is None:
        raise FieldError("survivor_id", f"no such product: {survivor_id}")
    for pid in merged_ids:
        if pid not in products:
            raise FieldError("merged_ids", f"no such product: {pid}")
    for product in [survivor, *(products[pid] for pid in merged_ids)]:
        if not product.active:
            raise MergeRefusedError(
                f"{_name(product)} is inactive: only active products merge",
                product_id=str(product.id),
            )
    for pid in merged_ids:
        if products[pid].unit != survivor.unit:
            raise MergeRefusedError(
                f"{_name(products[pid])} is sold by {products[pid].unit} and"
                f" {_name(survivor)} by {survivor.unit}: they cannot be one product",
                product_id=str(pid),
            )
    return survivor


def _validate_ids(survivor_id: uuid.UUID, merged_ids: list[uuid.UUID]) -> list[uuid.UUID]:
    merged = list(dict.fromkeys(merged_ids))  # once each, in the order given
    if not merged:
        raise FieldError("merged_ids", "name at least one product to merge")
    if survivor_id in merged:
        raise FieldError("merged_ids", f"the survivor {survivor_id} cannot be merged into itself")
    return merged


async def _move_stock(
    session: AsyncSession, tenant_id: uuid.UUID, survivor_id: uuid.UUID, merged: list[uuid.UUID]
) -> dict[uuid.UUID, dict[str, str]]:
    """Add the merged rows' quantities to the survivor's row per sede; per merged product,
    what it had at each sede (for the merge record)."""
    rows = await repo.lock_stock(session, tenant_id, [survivor_id, *merged])
    by_sede: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    template: dict[uuid.UUID, Inventory] = {}
    has_survivor = {r.sede_id for r in rows if r.product_id == survivor_id}
    held: dict[uuid.UUID, dict[str, str]] = defaultdict(dict)
    for row in rows:
        if row.product_id == survivor_id:
            continue
        by_sede[row.sede_id] += row.quantity
        held[row.product_id][str(row.sede_id)] = str(row.quantity)
        # A new survivor row takes the thresholds of the merged row asking the most.
        best = template.get(row.sede_id)
        if best is None or row.min_stock > best.min_stock:
            template[row.sede_id] = row
    plan = {
        sede: (qty, None if sede in has_survivor else template[sede])
        for sede, qty in by_sede.items()
        if qty != 0 or sede not in has_survivor
    }
    await repo.add_stock(session, tenant_id, survivor_id, plan)
    await repo.empty_stock(session, tenant_id, merged)
    return held


async def _move_lines(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    survivor_id: uuid.UUID,
    merged: list[uuid.UUID],
    transfers: list[uuid.UUID],
) -> int:
    """Open transfer lines of the merged products go to the survivor; on a transfer that
    already has the survivor (or several of them), the quantities are summed into one line."""
    lines = await repo.open_lines(session, tenant_id, transfers, [survivor_id, *merged])
    by_transfer: dict[uuid.UUID, list[TransferLine]] = defaultdict(list)
    for line in lines:
        by_transfer[line.transfer_id].append(line)
    moved = 0
    for group in by_transfer.values():
        if all(line.product_id == survivor_id for line in group):
            continue
        keep = next((ln for ln in group if ln.product_id == survivor_id), group[0])
        others = [ln for ln in group if ln is not keep]
        # Deleted first: the kept line takes the survivor, unique per transfer.
        await repo.delete_lines(session, tenant_id, [ln.id for ln in others])
        total = sum((ln.quantity for ln in group), Decimal(0))
        await repo.set_line(session, tenant_id, keep.id, survivor_id, total)
        moved += sum(1 for ln in group if ln.product_id != survivor_id)
    return moved


async def _move_barcodes(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    survivor: Product,
    merged: list[Product],
    actor_user_id: uuid.UUID | None,
) -> list[str]:
    """The survivor takes the merged products' barcodes: the first merged primary becomes
    its primary if it has none, the rest become its extra barcodes (product_barcodes)."""
    primaries = [p.barcode for p in merged if p.barcode]
    extra = await repo.extra_barcodes(session, tenant_id, [p.id for p in merged])
    taken = [*primaries, *(code for _, code in extra)]
    # Deactivated first: their primary barcodes are free before the survivor takes them.
    await repo.deactivate(session, tenant_id, [p.id for p in merged], actor_user_id)
    new_primary = primaries[0] if survivor.barcode is None and primaries else None
    await repo.move_barcodes(
        session,
        tenant_id,
        survivor.id,
        [p.id for p in merged],
        [code for code in primaries if code != new_primary],
    )
    if new_primary is not None:
        values = {"barcode": new_primary, "last_modified_by": actor_user_id}
        await repo.survivor_update(session, tenant_id, survivor.id, values)
    return taken


def _audit(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    actor_user_id: uuid.UUID | None,
    survivor: Product,
    merged: list[Product],
    snapshot: dict[uuid.UUID, dict[str, Any]],
    result: MergeResult,
) -> None:
    context = session.info.get(AUDIT_KEY)
    where = (
        {"method": context.method, "path": context.path}
        if isinstance(context, AuditContext)
        else {"method": "CALL", "path": "catalog.merge_products"}
    )
    session.add(
        AuditLog(
            tenant_id=tenant_id,
            id=new_id(),
            user_id=actor_user_id,
            action="products.merged",
            entity_type="products",
            entity_id=str(survivor.id),
            before_data={
                "survivor": {"id": str(survivor.id), "sku": survivor.sku, "name": survivor.name},
                "merged": [{"id": str(p.id), **snapshot[p.id]} for p in merged],
            },
            after_data={
                "movements": result.movements,
                "stock_rows": result.stock_rows,
                "transfer_lines": result.transfer_lines,
                "barcodes": result.barcodes,
            },
            extra=where,
            client_address=context.client_address if isinstance(context, AuditContext) else None,
        )
    )


async def merge_products(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    survivor_id: uuid.UUID,
    merged_ids: list[uuid.UUID],
    actor_user_id: uuid.UUID | None,
) -> MergeResult:
    """Merge `merged_ids` into `survivor_id` in the caller's transaction (not committed).

    Refuses with FieldError (422) an empty list, the survivor among the merged, or an
    unknown product (another tenant's is unknown here), and with MergeRefusedError (409) an
    inactive product or one sold by another unit; nothing is written then.
    """
    merged_order = _validate_ids(survivor_id, merged_ids)
    await repo.lock_merges(session, tenant_id)
    everyone = sorted([survivor_id, *merged_order])
    transfers = await repo.lock_open_transfers(session, tenant_id, everyone)
    products = await repo.lock_products(session, tenant_id, everyone)
    survivor = _check(survivor_id, merged_order, products)
    merged = [products[pid] for pid in merged_order]
    snapshot: dict[uuid.UUID, dict[str, Any]] = {
        p.id: {"sku": p.sku, "name": p.name, "barcode": p.barcode} for p in merged
    }
    held = await _move_stock(session, tenant_id, survivor_id, merged_order)
    counts = await repo.repoint_movements(session, tenant_id, survivor_id, merged_order)
    lines = await _move_lines(session, tenant_id, survivor_id, merged_order, transfers)
    extra = await repo.extra_barcodes(session, tenant_id, merged_order)
    barcodes = await _move_barcodes(session, tenant_id, survivor, merged, actor_user_id)
    await repo.merge_rollups(session, tenant_id, survivor_id, merged_order)
    details: dict[uuid.UUID, dict[str, Any]] = {
        pid: {
            **snapshot[pid],
            "barcodes": [code for owner, code in extra if owner == pid],
            "movements": counts.get(pid, 0),
            "stock": held.get(pid, {}),
        }
        for pid in merged_order
    }
    await repo.record_merges(
        session,
        tenant_id,
        survivor_id,
        [
            {"merged_id": pid, "merged_by": actor_user_id, "details": details[pid]}
            for pid in merged_order
        ],
    )
    result = MergeResult(
        survivor_id=survivor_id,
        merged_ids=merged_order,
        movements=sum(counts.values()),
        stock_rows=sum(len(h) for h in held.values()),
        transfer_lines=lines,
        barcodes=barcodes,
    )
    _audit(session, tenant_id, actor_user_id, survivor, merged, snapshot, result)
    return result


async def resolve_products(
    session: AsyncSession, tenant_id: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """For a push: the survivor of each of these products that was merged (others absent)."""
    return await repo.survivors(session, tenant_id, ids)


hold_merges_off = repo.hold_merges_off
