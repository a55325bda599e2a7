"""Listing movements: filters are checked here so a bad one names its field."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.inventory import repository as inventory_repo
from stocky.cloud.kit.pagination import (
    InvalidFieldError,
    decode_time_cursor,
    encode_cursor,
)
from stocky.cloud.transactions import repository as repo
from stocky.cloud.transactions.schemas import MovementOut, MovementPage
from stocky.core.errors import NotFoundError


async def list_movements(
    session: AsyncSession,
    user: Principal,
    where: repo.MovementFilter,
    *,
    cursor: str | None,
    limit: int,
) -> MovementPage:
    if where.since and where.until and where.since >= where.until:
        raise InvalidFieldError("from", "must be before 'to'")
    for value in (where.since, where.until):
        if value is not None and value.tzinfo is None:
            raise InvalidFieldError("from" if value is where.since else "to", "needs a time zone")
    if where.sede_id is not None and not await inventory_repo.sede_exists(
        session, user.tenant_id, where.sede_id
    ):
        raise NotFoundError("No such sede.", field="sede_id")
    if where.product_id is not None and not await inventory_repo.products_by_id(
        session, user.tenant_id, [where.product_id]
    ):
        raise NotFoundError("No such product.", field="product_id")
    before = decode_time_cursor(cursor) if cursor else None
    rows = await repo.list_movements(session, user.tenant_id, where, before=before, limit=limit + 1)
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = encode_cursor(last.server_timestamp.isoformat(), str(last.id))
    items = [
        MovementOut(
            id=t.id,
            sede_id=t.sede_id,
            product_id=t.product_id,
            sku=sku,
            product_name=name,
            type=t.type,
            quantity=t.quantity,
            unit_price=t.unit_price,
            unit_cost=t.unit_cost,
            discount=t.discount,
            product_version=t.product_version,
            document_id=t.document_id,
            sale_id=t.sale_id,
            ref_id=t.ref_id,
            transfer_id=t.transfer_id,
            device_id=t.device_id,
            user_id=t.user_id,
            op_id=t.op_id,
            note=t.note,
            client_timestamp=t.client_timestamp,
            server_timestamp=t.server_timestamp,
        )
        for t, sku, name in page
    ]
    return MovementPage(items=items, next_cursor=next_cursor)
