"""What a pushed return may give back: lines of a sale the cloud holds, never more than sold.

A return whose sale the cloud does not hold yet is deferred (the caja sends it again later,
without holding up the ops behind it); one whose sale the cloud refused is rejected with
it. The sale row is locked first, so two cajas returning the same sale at once are judged
one after the other and cannot together return more than was sold.

An applied return's refunds are kept by method with the shift whose drawer paid them
(`insert_refunds`), for that shift's Z check.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.kit.sql import rows_from_json, uuids
from stocky.cloud.models import Refund, Sale, SyncOp, Transaction
from stocky.cloud.sync.context import OpContext
from stocky.core.ops import TransactionDocument

REFUNDS = cast(Table, Refund.__table__)
REFUND_COLUMNS = [
    "tenant_id",
    "return_id",
    "method",
    "sale_id",
    "sede_id",
    "device_id",
    "shift_id",
    "amount",
    "op_id",
    "client_timestamp",
]
_INSERT_REFUNDS = insert(REFUNDS).from_select(
    REFUND_COLUMNS, rows_from_json(REFUNDS, REFUND_COLUMNS)
)


class OpDeferredError(Exception):
    """The op cannot apply yet; nothing of it is recorded and the caja sends it again."""


class ReturnRefusedError(Exception):
    """The return can never apply (its sale was refused, a line it does not have, too much)."""


ReturnProblem = OpDeferredError | ReturnRefusedError


async def check_returns(
    session: AsyncSession, tenant_id: uuid.UUID, docs: list[TransactionDocument]
) -> list[ReturnProblem | None]:
    """For each document in order, why it cannot apply now (None for the rest).

    Sales and returns earlier in `docs` count as if already applied: the push applies
    them in this order, in the same transaction.
    """
    returns = [doc for doc in docs if doc.type == "return"]
    if not returns:
        return [None] * len(docs)
    sale_ids = {s for s in (doc.returned_sale_id for doc in returns) if s is not None}
    held = set(
        (
            await session.execute(
                select(Sale.id)
                .where(Sale.tenant_id == tenant_id, Sale.id == uuids(sale_ids))
                .order_by(Sale.id)
                .with_for_update()
            )
        ).scalars()
    )
    line_ids = {m.ref_id for doc in returns for m in doc.movements if m.ref_id is not None}
    lines: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID | None, Decimal]] = {}
    for row in await session.execute(
        select(
            Transaction.id, Transaction.product_id, Transaction.sale_id, Transaction.quantity
        ).where(
            Transaction.tenant_id == tenant_id,
            Transaction.id == uuids(line_ids),
            Transaction.type == "sale",
        )
    ):
        lines[row.id] = (row.product_id, row.sale_id, -row.quantity)
    returned: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for ref_id, total in await session.execute(
        select(Transaction.ref_id, func.sum(Transaction.quantity))
        .where(
            Transaction.tenant_id == tenant_id,
            Transaction.ref_id == uuids(line_ids),
            Transaction.type == "return",
        )
        .group_by(Transaction.ref_id)
    ):
        if ref_id is not None:
            returned[ref_id] = total
    refused = await _refused_sales(session, tenant_id, sale_ids - held)
    problems: list[ReturnProblem | None] = []
    for doc in docs:
        if doc.type == "sale" and doc.sale is not None:
            held.add(doc.sale.id)
            for m in doc.movements:
                lines[m.id] = (m.product_id, m.sale_id, -m.quantity)
            problems.append(None)
        elif doc.type == "return":
            problem = _judge(doc, held, refused, lines, returned)
            if problem is None:
                for m in doc.movements:
                    assert m.ref_id is not None
                    returned[m.ref_id] += m.quantity
            problems.append(problem)
        else:
            problems.append(None)
    return problems


def _judge(
    doc: TransactionDocument,
    held: set[uuid.UUID],
    refused: set[uuid.UUID],
    lines: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID | None, Decimal]],
    returned: dict[uuid.UUID, Decimal],
) -> ReturnProblem | None:
    sale_id = doc.returned_sale_id
    assert sale_id is not None
    if sale_id in refused:
        return ReturnRefusedError(f"sale {sale_id} was rejected by the cloud, so its return is")
    if sale_id not in held:
        return OpDeferredError(f"waiting for sale {sale_id}, which the cloud does not hold yet")
    wanted: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for m in doc.movements:
        assert m.ref_id is not None
        line = lines.get(m.ref_id)
        if line is None or line[1] != sale_id:
            return ReturnRefusedError(f"sale {sale_id} has no line {m.ref_id}")
        if line[0] != m.product_id:
            return ReturnRefusedError(f"line {m.ref_id} sold another product")
        wanted[m.ref_id] += m.quantity
    for ref_id, qty in wanted.items():
        left = lines[ref_id][2] - returned[ref_id]
        if qty > left:
            return ReturnRefusedError(
                f"line {ref_id}: returns {qty}, but only {left} of it is left to return"
            )
    return None


async def _refused_sales(
    session: AsyncSession, tenant_id: uuid.UUID, sale_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Of these sales the cloud does not hold, the ones whose op it rejected."""
    wanted = sorted(str(s) for s in sale_ids)
    if not wanted:
        return set()
    rows = await session.execute(
        select(SyncOp.entity_id).where(
            SyncOp.tenant_id == tenant_id,
            SyncOp.kind == "transaction.create",
            SyncOp.entity_id.in_(wanted),
            SyncOp.status == "rejected",
        )
    )
    return {uuid.UUID(entity_id) for entity_id in rows.scalars() if entity_id}


def return_shift(doc: TransactionDocument) -> uuid.UUID | None:
    """The shift whose drawer paid the return's refunds: the header says it; older cajas
    sent only the document's shift_id, which their returns set to the same open shift."""
    header = doc.return_
    if header is not None and header.shift_id is not None:
        return header.shift_id
    return doc.shift_id


def refund_split(doc: TransactionDocument) -> list[tuple[str, Decimal]]:
    """(method, amount) the return gave back; a header without `refunds` (older cajas,
    a single method) gave it all by refund_method. Empty for a refund of 0."""
    header = doc.return_
    if header is None or header.refund_total == 0:
        return []
    if header.refunds:
        return [(r.method, r.amount) for r in header.refunds]
    return [(header.refund_method, header.refund_total)]


async def insert_refunds(
    session: AsyncSession, docs: list[tuple[OpContext, TransactionDocument]]
) -> None:
    """The refund rows of these applied returns. One with no shift takes the shift that
    adopted it, if one did already (the row trigger of migration 0014)."""
    rows: list[dict[str, Any]] = [
        {
            "tenant_id": ctx.tenant_id,
            "return_id": doc.document_id,
            "method": method,
            "sale_id": doc.returned_sale_id,
            "sede_id": ctx.sede_id,
            "device_id": ctx.device_id,
            "shift_id": return_shift(doc),
            "amount": amount,
            "op_id": ctx.op.op_id,
            "client_timestamp": ctx.corrected(doc.client_ts),
        }
        for ctx, doc in docs
        if doc.type == "return"
        for method, amount in refund_split(doc)
    ]
    if rows:
        await session.execute(_INSERT_REFUNDS, {"rows": rows})
