"""Property: after random sales and returns pushed in random batches and orders, each batch
pushed again (duplicates; a return that came before its sale is deferred, then lands), the
rollups the pushes kept equal a fresh rebuild from the movements, payments and refunds."""

from __future__ import annotations

import os
import random
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from stocky.cloud.db import tenant_transaction
from stocky.cloud.models import ReportHourly, ReportPaymentDaily, ReportProductDaily
from stocky.cloud.reports import rollups
from tests.cloud.factories import create_device, create_product, create_shop, create_user
from tests.cloud.reports.conftest import local, push, return_of, sale

QUANTITIES = {0: ["1", "2", "5"], 1: ["0.125", "0.750", "1.500"]}  # rice by unit, cheese by kg
SALES = st.lists(
    st.tuples(
        st.integers(-90, 90),  # minutes around local midnight of 19-20 Nov
        st.integers(0, 1),  # caja
        st.lists(
            st.tuples(st.integers(0, 1), st.integers(0, 2), st.sampled_from(["0", "0.1"])),
            min_size=1,
            max_size=3,
        ),
        st.sampled_from(["cash", "card", "transfer"]),
    ),
    min_size=1,
    max_size=8,
)


async def snapshot(app: FastAPI, tenant_id: Any) -> dict[str, set[tuple[Any, ...]]]:
    out = {}
    async with tenant_transaction(app.state.sessionmaker, tenant_id) as session:
        for model in (ReportHourly, ReportProductDaily, ReportPaymentDaily):
            table = model.__table__
            rows = await session.execute(select(table).where(table.c.tenant_id == tenant_id))
            out[model.__tablename__] = {tuple(r) for r in rows}
    return out


@settings(
    max_examples=int(os.environ.get("STOCKY_PROPERTY_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sales=SALES,
    returned=st.lists(st.integers(0, 7), max_size=4, unique=True),
    batch=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
@pytest.mark.asyncio
async def test_rollups_equal_a_rebuild(
    client: httpx.AsyncClient,
    cloud_app: FastAPI,
    sales: list[tuple[int, int, list[tuple[int, int, str]], str]],
    returned: list[int],
    batch: int,
    seed: int,
) -> None:
    sm = cloud_app.state.sessionmaker
    shop = await create_shop(cloud_app)
    cajas = [await create_device(sm, shop.tenant_id, shop.sede_id) for _ in range(2)]
    cashier = await create_user(sm, shop.tenant_id, "cashier", shop.sede_id)
    products = [
        await create_product(sm, shop.tenant_id, price=Decimal("2500.00"), cost=Decimal("1800")),
        await create_product(
            sm, shop.tenant_id, unit="weight", price=Decimal("16333.00"), cost=Decimal("9999.99")
        ),
    ]
    midnight = local(20, 0)
    ops: list[list[dict[str, Any]]] = [[], []]  # per caja
    made = []
    for n, (minutes, caja, lines, method) in enumerate(sales):
        picked = []
        for p, q, share in lines:
            qty = QUANTITIES[p][q]
            gross = (products[p].price * Decimal(qty)).quantize(Decimal("0.01"))
            picked.append((products[p], qty, f"{gross * Decimal(share):.2f}"))
        op = sale(picked, when=midnight + timedelta(minutes=minutes), user=cashier, number=n + 1)
        total = Decimal(op["payload"]["sale"]["total"])
        if method == "cash":  # paid with a round note: change
            paid = (total / 1000).to_integral_value(ROUND_HALF_UP) * 1000 + 1000
            op = sale(
                picked,
                when=midnight + timedelta(minutes=minutes),
                user=cashier,
                number=n + 1,
                payments=[("cash", f"{paid:.2f}")],
            )
        elif total > 0:
            op = sale(
                picked,
                when=midnight + timedelta(minutes=minutes),
                user=cashier,
                number=n + 1,
                payments=[(method, f"{total:.2f}")],
            )
        ops[caja].append(op)
        made.append((caja, op, minutes))
    for i in returned:
        if i >= len(made):
            continue
        caja, op, minutes = made[i]
        line = op["payload"]["movements"][0]
        qty = -Decimal(line["quantity"])
        net = (Decimal(line["unit_price"]) * qty).quantize(Decimal("0.01")) - Decimal(
            line["discount"]
        )
        back = return_of(
            op,
            [(0, line["quantity"].lstrip("-"), f"{net:.2f}")],
            when=midnight + timedelta(minutes=minutes + 30),
            user=cashier,
        )
        ops[caja].append(back)
    rng = random.Random(seed)
    for caja, mine in zip(cajas, ops, strict=True):
        rng.shuffle(mine)
        for _ in range(3):  # again: duplicates, and deferred returns now land
            for start in range(0, len(mine), batch):
                statuses = await push(client, caja, mine[start : start + batch])
                assert set(statuses) <= {"applied", "duplicate", "deferred"}, statuses
    kept = await snapshot(cloud_app, shop.tenant_id)
    assert kept["report_hourly"], "the pushes kept no rollup"
    async with tenant_transaction(sm, shop.tenant_id) as session:
        await rollups.rebuild(session, shop.tenant_id)
    assert await snapshot(cloud_app, shop.tenant_id) == kept
