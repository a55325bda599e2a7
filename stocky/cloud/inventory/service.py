"""Stock per sede: the sum of its movements, thresholds, and opening stock.

`record_movements` is the one way stock changes in the cloud: sync push, transfers and
opening stock all call it inside their own transaction. A quantity is never overwritten;
every change is a movement row plus the same delta added to the stock row.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.inventory import repository as repo
from stocky.cloud.inventory.schemas import InventoryItem, InventoryPage, ThresholdsIn
from stocky.cloud.kit.pagination import (
    InvalidFieldError,
    decode_name_cursor,
    encode_cursor,
)
from stocky.cloud.models import Inventory, Product
from stocky.cloud.models.movements import MOVEMENT_TYPES
from stocky.core.errors import ForbiddenError, NotFoundError
from stocky.core.ids import new_id
from stocky.core.money import AmountError, quantity
from stocky.core.ops import sign_problem


class InvalidMovementError(InvalidFieldError):
    """A movement that can never apply (wrong sign, bad type): sync rejects the op."""


@dataclass(frozen=True)
class Movement:
    """One stock movement to record; `id` is its idempotency key (the caja's uuid7)."""

    product_id: uuid.UUID
    type: str
    quantity: Decimal
    client_timestamp: datetime
    document_id: uuid.UUID
    id: uuid.UUID = field(default_factory=new_id)
    unit_price: Decimal | None = None
    unit_cost: Decimal | None = None
    discount: Decimal = Decimal("0")
    product_version: int | None = None
    sale_id: uuid.UUID | None = None
    ref_id: uuid.UUID | None = None
    transfer_id: uuid.UUID | None = None
    device_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    op_id: uuid.UUID | None = None
    note: str | None = None


@dataclass(frozen=True)
class StockLevel:
    quantity: Decimal
    version: int


@dataclass(frozen=True)
class RecordedMovements:
    inserted: list[uuid.UUID]
    duplicates: list[uuid.UUID]
    # New stock of every product a newly inserted movement touched.
    stock: dict[uuid.UUID, StockLevel]


def validate_movement(movement: Movement) -> Decimal:
    """The movement's exact quantity, or InvalidMovementError naming what is wrong."""
    if movement.type not in MOVEMENT_TYPES:
        raise InvalidMovementError("type", f"{movement.type!r} is not a movement type")
    try:
        qty = quantity(movement.quantity)
    except (AmountError, TypeError) as exc:
        raise InvalidMovementError("quantity", str(exc)) from exc
    problem = sign_problem(movement.type, qty)
    if problem:
        raise InvalidMovementError("quantity", problem)
    return qty


async def record_movements(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    movements: list[Movement],
) -> RecordedMovements:
    """Insert movements (if absent, by id) and add them to the sede's stock, in the
    caller's transaction. A movement already recorded is a duplicate and moves nothing.

    Raises InvalidMovementError (422) for a movement that can never apply and
    NotFoundError for an unknown sede or product, before writing anything.
    """
    quantities = [validate_movement(m) for m in movements]
    if not await repo.sede_exists(session, tenant_id, sede_id):
        raise NotFoundError("No such sede.", field="sede_id")
    product_ids = sorted({m.product_id for m in movements})
    known = await repo.products_by_id(session, tenant_id, product_ids)
    missing = [pid for pid in product_ids if pid not in known]
    if missing:
        raise NotFoundError(f"No such product: {missing[0]}.", field="product_id")
    return await write_movements(session, tenant_id, sede_id, movements, quantities)


async def write_movements(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    movements: list[Movement],
    quantities: list[Decimal],
) -> RecordedMovements:
    """The writing half of `record_movements`, for a caller that already checked them.

    `quantities` are `validate_movement`'s results; the sede and products must exist (the
    foreign keys refuse them otherwise, as an IntegrityError). Sync push records a whole
    batch of ops with it: two statements, however many movements.
    """
    rows = [
        {
            "tenant_id": tenant_id,
            "sede_id": sede_id,
            "id": m.id,
            "product_id": m.product_id,
            "type": m.type,
            "quantity": qty,
            "unit_price": m.unit_price,
            "unit_cost": m.unit_cost,
            "discount": m.discount,
            "product_version": m.product_version,
            "document_id": m.document_id,
            "sale_id": m.sale_id,
            "ref_id": m.ref_id,
            "transfer_id": m.transfer_id,
            "device_id": m.device_id,
            "user_id": m.user_id,
            "op_id": m.op_id,
            "note": m.note,
            "client_timestamp": m.client_timestamp,
        }
        for m, qty in zip(movements, quantities, strict=True)
    ]
    inserted = await repo.insert_movements(session, rows)
    deltas: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for _, product_id, qty in inserted:
        deltas[product_id] += qty
    # A sale and its return in one batch can cancel out: the row still records the movement.
    levels = await repo.add_to_stock(session, tenant_id, sede_id, sorted(deltas.items()))
    inserted_ids = {row[0] for row in inserted}
    return RecordedMovements(
        inserted=[m.id for m in movements if m.id in inserted_ids],
        duplicates=[m.id for m in movements if m.id not in inserted_ids],
        stock={pid: StockLevel(qty, version) for pid, qty, version in levels},
    )


def inventory_item(product: Product, stock: Inventory | None) -> InventoryItem:
    qty = stock.quantity if stock else Decimal("0.000")
    min_stock = stock.min_stock if stock else Decimal("0.000")
    max_stock = stock.max_stock if stock else None
    return InventoryItem(
        product_id=product.id,
        sku=product.sku,
        name=product.name,
        unit=product.unit,
        active=product.active,
        quantity=qty,
        min_stock=min_stock,
        max_stock=max_stock,
        low=min_stock > 0 and qty <= min_stock,
        negative=qty < 0,
        over_max=max_stock is not None and qty > max_stock,
        last_movement_at=stock.last_movement_at if stock else None,
        version=stock.version if stock else None,
    )


async def require_sede(session: AsyncSession, user: Principal, sede_id: uuid.UUID) -> None:
    if not await repo.sede_exists(session, user.tenant_id, sede_id):
        raise NotFoundError("No such sede.", field="sede_id")


async def list_stock(
    session: AsyncSession,
    user: Principal,
    sede_id: uuid.UUID,
    *,
    q: str | None,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> InventoryPage:
    await require_sede(session, user, sede_id)
    after = decode_name_cursor(cursor)
    rows = await repo.stock_page(
        session, user.tenant_id, sede_id, q=q, status=status, after=after, limit=limit + 1
    )
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = encode_cursor(last.name, str(last.id))
    return InventoryPage(
        sede_id=sede_id, items=[inventory_item(p, i) for p, i in page], next_cursor=next_cursor
    )


async def set_thresholds(
    session: AsyncSession,
    user: Principal,
    sede_id: uuid.UUID,
    product_id: uuid.UUID,
    body: ThresholdsIn,
) -> InventoryItem:
    """Min and max stock of a product at a sede; the stock row's change reaches its cajas."""
    await require_sede(session, user, sede_id)
    if not user.at_least("admin") and user.sede_id != sede_id:
        raise ForbiddenError("Managers set thresholds only at their own sede.")
    found = await repo.stock_item(session, user.tenant_id, sede_id, product_id)
    if found is None:
        raise NotFoundError("No such product.", field="product_id")
    await repo.set_thresholds(
        session, user.tenant_id, sede_id, product_id, body.min_stock, body.max_stock
    )
    updated = await repo.stock_item(session, user.tenant_id, sede_id, product_id)
    assert updated is not None
    return inventory_item(*updated)
