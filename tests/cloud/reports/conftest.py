"""A shop in Bogotá with two cajas, two cashiers and two products with costs (one sold by
weight), and the ops a caja pushes: sales with discounts and mixed payments, returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import update

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import Product, Tenant
from stocky.core.ids import new_id
from tests.cloud.factories import (
    Actor,
    Caja,
    Shop,
    create_device,
    create_product,
    create_shop,
    create_user,
)

BOGOTA = ZoneInfo("America/Bogota")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BOGOTA)


@dataclass(frozen=True)
class ReportWorld:
    shop: Shop
    caja: Caja
    caja_b: Caja
    cashier: Actor
    cashier_b: Actor
    rice: Product
    cheese: Product


@pytest_asyncio.fixture
async def rw(cloud_app: FastAPI) -> ReportWorld:
    shop = await create_shop(cloud_app)
    sm = cloud_app.state.sessionmaker
    async with tenant_transaction(sm, shop.tenant_id) as session:
        await session.execute(
            update(Tenant).where(Tenant.id == shop.tenant_id).values(timezone="America/Bogota")
        )
    caja = await create_device(sm, shop.tenant_id, shop.sede_id)
    caja_b = await create_device(sm, shop.tenant_id, shop.sede_id)
    cashier = await create_user(sm, shop.tenant_id, "cashier", shop.sede_id)
    cashier_b = await create_user(sm, shop.tenant_id, "cashier", shop.sede_id)
    rice = await create_product(
        sm,
        shop.tenant_id,
        name="Arroz 500 g",
        sku="ARZ-500",
        price=Decimal("2500.00"),
        cost=Decimal("1800.00"),
        category="Granos",
    )
    cheese = await create_product(
        sm,
        shop.tenant_id,
        name="Queso campesino",
        sku="QSO-KG",
        unit="weight",
        price=Decimal("16000.00"),
        cost=Decimal("12000.00"),
        category="Lácteos",
    )
    return ReportWorld(shop, caja, caja_b, cashier, cashier_b, rice, cheese)


def money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):.2f}"


def sale(
    lines: list[tuple[Product, str, str]],
    *,
    when: datetime,
    user: Actor,
    number: int,
    payments: list[tuple[str, str]] | None = None,
    costs: list[str | None] | None = None,
) -> dict[str, Any]:
    """A sale op: lines are (product, quantity, line discount); price is the product's.
    Payments (method, amount) default to the total in cash; change is paid - total."""
    sale_id = str(new_id())
    movements = []
    subtotal = discount = Decimal("0")
    for i, (product, qty, disc) in enumerate(lines):
        gross = (product.price * Decimal(qty)).quantize(Decimal("0.01"))
        subtotal += gross
        discount += Decimal(disc)
        m: dict[str, Any] = {
            "id": str(new_id()),
            "product_id": str(product.id),
            "type": "sale",
            "quantity": f"-{qty}",
            "unit_price": money(product.price),
            "discount": disc,
            "product_version": 1,
            "sale_id": sale_id,
        }
        if costs is not None and costs[i] is not None:
            m["unit_cost"] = costs[i]
        movements.append(m)
    total = subtotal - discount
    paid = payments or [("cash", money(total))]
    paid_sum = sum((Decimal(a) for _, a in paid), Decimal("0"))
    ts = when.astimezone(UTC).isoformat()
    return {
        "op_id": str(new_id()),
        "kind": "transaction.create",
        "entity_id": sale_id,
        "client_ts": ts,
        "payload": {
            "type": "sale",
            "document_id": sale_id,
            "user_id": str(user.user_id),
            "sale": {
                "id": sale_id,
                "number": number,
                "subtotal": money(subtotal),
                "discount": money(discount),
                "tax": "0.00",
                "total": money(total),
                "paid": money(paid_sum),
                "change": money(paid_sum - total),
                "payments": [{"id": str(new_id()), "method": m, "amount": a} for m, a in paid],
            },
            "movements": movements,
            "client_ts": ts,
        },
    }


def return_of(
    sold: dict[str, Any],
    lines: list[tuple[int, str, str]],
    *,
    when: datetime,
    user: Actor,
    method: str = "cash",
) -> dict[str, Any]:
    """A return of `sold`'s lines: (index of the line, quantity, refund for it)."""
    doc = str(new_id())
    sale_id = sold["payload"]["document_id"]
    movements = []
    refund_total = Decimal("0")
    for i, qty, refund in lines:
        line = sold["payload"]["movements"][i]
        gross = (Decimal(line["unit_price"]) * Decimal(qty)).quantize(Decimal("0.01"))
        refund_total += Decimal(refund)
        movements.append(
            {
                "id": str(new_id()),
                "type": "return",
                "product_id": line["product_id"],
                "quantity": qty,
                "unit_price": line["unit_price"],
                "discount": money(gross - Decimal(refund)),
                "sale_id": sale_id,
                "ref_id": line["id"],
            }
        )
    ts = when.astimezone(UTC).isoformat()
    return {
        "op_id": str(new_id()),
        "kind": "transaction.create",
        "entity_id": doc,
        "client_ts": ts,
        "payload": {
            "type": "return",
            "document_id": doc,
            "user_id": str(user.user_id),
            "return": {
                "sale_id": sale_id,
                "refund_total": money(refund_total),
                "refund_method": method,
            },
            "movements": movements,
            "client_ts": ts,
        },
    }


def entry(product: Product, quantity: str) -> dict[str, Any]:
    doc = str(new_id())
    ts = datetime.now(UTC).isoformat()
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
                    "product_id": str(product.id),
                    "type": "entry",
                    "quantity": quantity,
                    "unit_cost": "1000.00",
                }
            ],
            "client_ts": ts,
        },
    }


async def push(
    client: httpx.AsyncClient,
    caja: Caja,
    ops: list[dict[str, Any]],
    *,
    client_now: datetime | None = None,
) -> list[str]:
    """Push the ops; the statuses, one per op."""
    body: dict[str, Any] = {
        "sede_id": str(caja.sede_id),
        "device_id": str(caja.device_id),
        "operations": ops,
    }
    if client_now is not None:
        body["client_now"] = client_now.isoformat()
    r = await client.post("/api/sync/push", json=body, headers=caja.headers)
    assert r.status_code == 200, r.text
    return [x["status"] for x in r.json()["results"]]
