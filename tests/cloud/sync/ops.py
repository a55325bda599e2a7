"""Building pushed operations the way a caja writes them (decimal strings, uuid7 ids)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from stocky.core.ids import new_id


def sale_op(
    lines: list[tuple[uuid.UUID, str, str]],
    *,
    number: int = 1,
    client_ts: datetime | None = None,
    op_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A `transaction.create` sale: lines are (product_id, quantity, unit price)."""
    ts = (client_ts or datetime.now(UTC)).isoformat()
    sale_id = str(new_id())
    total = sum((Decimal(q) * Decimal(p) for _, q, p in lines), Decimal(0))
    total_s = f"{total:.2f}"
    movements = [
        {
            "id": str(new_id()),
            "product_id": str(pid),
            "type": "sale",
            "quantity": f"-{qty}",
            "unit_price": price,
            "discount": "0.00",
            "product_version": 1,
            "sale_id": sale_id,
        }
        for pid, qty, price in lines
    ]
    return {
        "op_id": str(op_id or new_id()),
        "kind": "transaction.create",
        "entity_id": sale_id,
        "client_ts": ts,
        "payload": {
            "type": "sale",
            "document_id": sale_id,
            "sale": {
                "id": sale_id,
                "number": number,
                "subtotal": total_s,
                "discount": "0.00",
                "tax": "0.00",
                "total": total_s,
                "paid": total_s,
                "change": "0.00",
                "payments": [{"id": str(new_id()), "method": "cash", "amount": total_s}],
            },
            "movements": movements,
            "client_ts": ts,
        },
    }


def entry_op(product_id: uuid.UUID, quantity: str, cost: str = "1000.00") -> dict[str, Any]:
    ts = datetime.now(UTC).isoformat()
    doc = str(new_id())
    return {
        "op_id": str(new_id()),
        "kind": "transaction.create",
        "entity_id": doc,
        "client_ts": ts,
        "payload": {
            "type": "entry",
            "document_id": doc,
            "movements": [
                {
                    "id": str(new_id()),
                    "product_id": str(product_id),
                    "type": "entry",
                    "quantity": quantity,
                    "unit_cost": cost,
                }
            ],
            "client_ts": ts,
        },
    }


def push_body(world: Any, ops: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "sede_id": str(world.caja.sede_id),
        "device_id": str(world.caja.device_id),
        "operations": ops,
        **extra,
    }


def _document_op(doc_type: str, movements: list[dict[str, Any]], **header: Any) -> dict[str, Any]:
    ts = datetime.now(UTC).isoformat()
    doc = str(new_id())
    return {
        "op_id": str(new_id()),
        "kind": "transaction.create",
        "entity_id": doc,
        "client_ts": ts,
        "payload": {
            "type": doc_type,
            "document_id": doc,
            **header,
            "movements": [{"id": str(new_id()), "type": doc_type, **m} for m in movements],
            "client_ts": ts,
        },
    }


def count_op(lines: list[tuple[uuid.UUID, str]]) -> dict[str, Any]:
    """A physical count: (product_id, counted - expected) per line, 0 where it matched."""
    return _document_op(
        "adjustment", [{"product_id": str(pid), "quantity": delta} for pid, delta in lines]
    )


def return_op(sale: dict[str, Any], lines: list[tuple[int, str]]) -> dict[str, Any]:
    """A return of `sale`'s lines: (index of the sale line, quantity returned)."""
    sale_movements = sale["payload"]["movements"]
    sale_id = sale["payload"]["document_id"]
    movements = [
        {
            "product_id": sale_movements[i]["product_id"],
            "quantity": qty,
            "unit_price": sale_movements[i]["unit_price"],
            "sale_id": sale_id,
            "ref_id": sale_movements[i]["id"],
        }
        for i, qty in lines
    ]
    header = {"return": {"sale_id": sale_id, "refund_total": "0.00", "refund_method": "cash"}}
    return _document_op("return", movements, **header)


def free_sale_op(product_id: uuid.UUID, quantity: str, price: str) -> dict[str, Any]:
    """A sale discounted to 0 (a gift, a 100% promotion): nothing was paid."""
    op = sale_op([(product_id, quantity, price)])
    sale = op["payload"]["sale"]
    sale.update(discount=sale["subtotal"], total="0.00", paid="0.00", payments=[])
    op["payload"]["movements"][0]["discount"] = sale["subtotal"]
    return op
