"""Every query of the transfers feature. Each filters by tenant (RLS does too)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, false, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.kit.sql import uuids
from stocky.cloud.models import Inventory, Product, Sede, Transaction, Transfer, TransferLine, User


async def sedes(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Sede]:
    stmt = select(Sede).where(Sede.tenant_id == tenant_id, Sede.id == uuids(ids))
    return {s.id: s for s in (await session.execute(stmt)).scalars()}


async def sede_names(session: AsyncSession, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(Sede.id, Sede.name).where(Sede.tenant_id == tenant_id))
    return dict(rows.all())


async def products(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Product]:
    if not ids:
        return {}
    stmt = select(Product).where(Product.tenant_id == tenant_id, Product.id == uuids(ids))
    return {p.id: p for p in (await session.execute(stmt)).scalars()}


async def user_names(
    session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    stmt = select(User.id, User.name).where(User.tenant_id == tenant_id, User.id == uuids(ids))
    return dict((await session.execute(stmt)).all())


async def user(session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID) -> User | None:
    stmt = select(User).where(User.tenant_id == tenant_id, User.id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_transfer(
    session: AsyncSession, transfer: Transfer, lines: list[dict[str, Any]]
) -> None:
    session.add(transfer)
    await session.flush()
    await session.execute(insert(TransferLine), lines)


async def get(
    session: AsyncSession, tenant_id: uuid.UUID, transfer_id: uuid.UUID, *, lock: bool = False
) -> Transfer | None:
    stmt = select(Transfer).where(Transfer.tenant_id == tenant_id, Transfer.id == transfer_id)
    if lock:
        stmt = stmt.with_for_update()
    stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def lines_of(
    session: AsyncSession, tenant_id: uuid.UUID, transfer_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[tuple[TransferLine, Product]]]:
    if not transfer_ids:
        return {}
    stmt = (
        select(TransferLine, Product)
        .join(
            Product,
            and_(
                Product.tenant_id == TransferLine.tenant_id,
                Product.id == TransferLine.product_id,
            ),
        )
        .where(TransferLine.tenant_id == tenant_id, TransferLine.transfer_id == uuids(transfer_ids))
        .order_by(TransferLine.transfer_id, Product.name, Product.id)
    )
    found: dict[uuid.UUID, list[tuple[TransferLine, Product]]] = {}
    for line, product in (await session.execute(stmt)).all():
        found.setdefault(line.transfer_id, []).append((line, product))
    return found


async def movements_of(
    session: AsyncSession, tenant_id: uuid.UUID, transfer_id: uuid.UUID
) -> list[Transaction]:
    stmt = (
        select(Transaction)
        .where(Transaction.tenant_id == tenant_id, Transaction.transfer_id == transfer_id)
        .order_by(Transaction.type.desc(), Transaction.sede_id, Transaction.product_id)
    )
    return list((await session.execute(stmt)).scalars())


async def page(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    *,
    status: str | None,
    sede_id: uuid.UUID | None,
    direction: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Transfer]:
    """Newest first; `sede_id` with a direction: only incoming or outgoing there."""
    stmt = select(Transfer).where(Transfer.tenant_id == tenant_id)
    if status:
        stmt = stmt.where(Transfer.status == status)
    if sede_id is not None:
        if direction == "incoming":
            stmt = stmt.where(Transfer.to_sede_id == sede_id)
        elif direction == "outgoing":
            stmt = stmt.where(Transfer.from_sede_id == sede_id)
        else:
            stmt = stmt.where(or_(Transfer.from_sede_id == sede_id, Transfer.to_sede_id == sede_id))
    if before is not None:
        stmt = stmt.where(tuple_(Transfer.created_at, Transfer.id) < tuple_(*before))
    stmt = stmt.order_by(Transfer.created_at.desc(), Transfer.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def set_state(session: AsyncSession, transfer: Transfer, **values: Any) -> None:
    """Change a locked transfer's state through the ORM, so the audit trail records it
    with its before and after (whoever calls: a person, a caja or the job)."""
    for name, value in values.items():
        setattr(transfer, name, value)
    transfer.version += 1
    transfer.updated_at = datetime.now(UTC)
    await session.flush()


async def lock_stock(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_ids: Sequence[uuid.UUID],
    product_ids: Sequence[uuid.UUID],
    *,
    create_at: uuid.UUID | None = None,
) -> dict[tuple[uuid.UUID, uuid.UUID], Decimal]:
    """Lock the stock rows of these sedes x products, in (sede, product) order.

    Every writer that touches stock rows of more than one sede goes through here, and a
    sync push touches one sede in product order, so all of them take the rows in the same
    global order: two opposing transfers (A->B and B->A) wait for each other instead of
    deadlocking.

    `create_at` (the destination): its missing rows are created at 0 here, in that same
    order, rather than when the stock moves in. Created later, a missing row would be taken
    after its sede's higher products; a caja's push there that had created it meanwhile
    (a sale of both) would then wait for us while we wait for it: a deadlock.
    """
    held: dict[tuple[uuid.UUID, uuid.UUID], Decimal] = {}
    for sede_id in sorted(set(sede_ids)):
        if sede_id == create_at and product_ids:
            # ON CONFLICT DO UPDATE ... WHERE false: inserts the missing rows and locks the
            # existing ones in VALUES order, changing none.
            upsert = insert(Inventory).values(
                [
                    {"tenant_id": tenant_id, "sede_id": sede_id, "product_id": p}
                    for p in sorted(product_ids)
                ]
            )
            await session.execute(
                upsert.on_conflict_do_update(
                    index_elements=["tenant_id", "sede_id", "product_id"],
                    set_={"quantity": Inventory.quantity},
                    where=false(),
                )
            )
        stmt = (
            select(Inventory.sede_id, Inventory.product_id, Inventory.quantity)
            .where(
                Inventory.tenant_id == tenant_id,
                Inventory.sede_id == sede_id,
                Inventory.product_id == uuids(product_ids),
            )
            .order_by(Inventory.product_id)
            .with_for_update()
        )
        rows = (await session.execute(stmt)).all()
        held.update({(sede, product): qty for sede, product, qty in rows})
    return held
