"""Transfers competing for the same stock, on the in-process worker running 8 at a time.

Concurrent approvals never move more than there is; opposing transfers never deadlock;
and under any interleaving of transfers, sales pushed by the cajas and retries of both,
the stock of all sedes together is what it was minus what was sold, and every sede's
quantity is the sum of its movements.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from stocky.cloud.db import tenant_transaction
from stocky.cloud.embedded import libpq_url
from stocky.cloud.jobs.defer import defer_in
from stocky.cloud.transfers.execute import execute_transfer
from tests.cloud.factories import Caja, create_device, create_product, create_sede
from tests.cloud.sync.ops import sale_op
from tests.cloud.transfers.world import TransferWorld, ping_both, request, stock_in, wait_status
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio(loop_scope="session")

# Examples of the conservation property; set STOCKY_PROPERTY_EXAMPLES=200 to look harder.
EXAMPLES = int(os.environ.get("STOCKY_PROPERTY_EXAMPLES", "15"))
_SALE_NUMBERS = itertools.count(1)
FINAL = ("completed", "failed", "rejected", "cancelled")
OUTCOMES = {"approve": ("completed", "failed"), "reject": ("rejected",), "cancel": ("cancelled",)}
_SUR: dict[uuid.UUID, tuple[uuid.UUID, Caja]] = {}  # each test's third sede, by tenant


async def add_sede(
    app: FastAPI, client: httpx.AsyncClient, world: TransferWorld, name: str
) -> tuple[uuid.UUID, Caja]:
    """A third sede with a caja that has pinged (so transfers to it are allowed)."""
    sede = await create_sede(app.state.sessionmaker, world.tenant_id, name)
    caja = await create_device(app.state.sessionmaker, world.tenant_id, sede)
    r = await client.post("/api/sync/ping", json={}, headers=caja.headers)
    assert r.status_code == 200, r.text
    return sede, caja


async def requested(
    client: httpx.AsyncClient,
    world: TransferWorld,
    origin: uuid.UUID,
    destination: uuid.UUID,
    lines: dict[uuid.UUID, str],
) -> str:
    r = await request(client, world, lines, origin=origin, destination=destination)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def approve(client: httpx.AsyncClient, world: TransferWorld, transfer_id: str) -> None:
    r = await client.post(f"/api/transfers/{transfer_id}/approve", json={}, headers=world.owner)
    assert r.status_code == 200, r.text


def stock(
    database: DatabaseUrls, tenant: uuid.UUID, products: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], Decimal]:
    """(sede, product) -> quantity, straight from the inventory table."""
    with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT sede_id, product_id, quantity FROM inventory"
            " WHERE tenant_id = %s AND product_id = ANY(%s)",
            (tenant, products),
        ).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}


def movement_sums(
    database: DatabaseUrls, tenant: uuid.UUID, products: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], Decimal]:
    """(sede, product) -> the sum of its movements in `transactions`."""
    with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT sede_id, product_id, sum(quantity) FROM transactions"
            " WHERE tenant_id = %s AND product_id = ANY(%s) GROUP BY sede_id, product_id",
            (tenant, products),
        ).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}


def nonzero(quantities: dict[tuple[uuid.UUID, uuid.UUID], Decimal]) -> dict[Any, Decimal]:
    """Without the zeros: a row at 0 (the job creates the destination's rows before moving
    anything) is the same stock as no row."""
    return {k: q for k, q in quantities.items() if q != 0}


def deadlocks(database: DatabaseUrls) -> int:
    with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    return int(row[0]) if row else 0


def job_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Every job run that raised (a deadlock would, before being retried)."""
    return [
        r.getMessage()
        for r in caplog.records
        if getattr(r, "action", None) in ("job_error", "job_error_retry")
    ]


def moved(
    transfers: list[tuple[str, uuid.UUID, dict[uuid.UUID, str]]],
    done: dict[str, dict[str, Any]],
    product: uuid.UUID,
) -> dict[uuid.UUID, Decimal]:
    """Per destination, how much of `product` the completed transfers brought."""
    into: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    for transfer, destination, lines in transfers:
        if done[transfer]["status"] == "completed" and product in lines:
            into[destination] += Decimal(lines[product])
    return into


async def test_concurrent_approvals_never_move_more_than_the_stock(
    jobs_app: FastAPI,
    jobs_client: httpx.AsyncClient,
    world: TransferWorld,
    database: DatabaseUrls,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="procrastinate")
    client = jobs_client
    p0, _, p2 = world.products
    sur, _ = await add_sede(jobs_app, client, world, "Sur")
    await stock_in(client, world, world.centro, {p0: "10", p2: "4"})
    transfers: list[tuple[str, uuid.UUID, dict[uuid.UUID, str]]] = []
    for i in range(20):
        destination = world.norte if i % 2 else sur
        lines = {p0: str(1 + i % 3)}
        if i % 5 == 0:
            lines[p2] = "1"  # some lock two rows of the origin
        transfers.append(
            (await requested(client, world, world.centro, destination, lines), destination, lines)
        )

    await asyncio.gather(*(approve(client, world, t) for t, _, _ in transfers))
    done: dict[str, dict[str, Any]] = {
        t: await wait_status(client, world, t) for t, _, _ in transfers
    }

    statuses = [d["status"] for d in done.values()]
    assert statuses.count("completed") + statuses.count("failed") == 20
    assert statuses.count("completed") >= 1
    left = stock(database, world.tenant_id, [p0, p2])
    for product, initial in ((p0, Decimal(10)), (p2, Decimal(4))):
        into = moved(transfers, done, product)
        assert sum(into.values()) <= initial
        assert left[world.centro, product] == initial - sum(into.values()) >= 0
        for destination in (world.norte, sur):
            assert left.get((destination, product), Decimal(0)) == into[destination]
    for transfer, _, lines in transfers:
        body = done[transfer]
        if body["status"] == "failed":
            assert "insufficient stock" in body["failure_reason"]
            assert body["movements"] == []
            # The origin only loses stock, so what it lacked then it still lacks.
            assert any(Decimal(q) > left[world.centro, p] for p, q in lines.items())
        else:
            assert len(body["movements"]) == 2 * len(lines)
    assert nonzero(movement_sums(database, world.tenant_id, [p0, p2])) == nonzero(left)
    assert job_errors(caplog) == []


async def test_opposing_transfers_never_deadlock(
    jobs_client: httpx.AsyncClient,
    world: TransferWorld,
    database: DatabaseUrls,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="procrastinate")
    client = jobs_client
    p0, _, p2 = world.products
    for sede in (world.centro, world.norte):
        await stock_in(client, world, sede, {p0: "30", p2: "30"})
    before = deadlocks(database)
    for _ in range(10):
        there = await requested(client, world, world.centro, world.norte, {p0: "2", p2: "1"})
        back = await requested(client, world, world.norte, world.centro, {p2: "3", p0: "1"})
        await asyncio.gather(approve(client, world, there), approve(client, world, back))
        for transfer in (there, back):
            done = await wait_status(client, world, transfer)
            # Enough stock both ways: anything but completed would be the deadlock's doing.
            assert done["status"] == "completed", done["failure_reason"]
    left = stock(database, world.tenant_id, [p0, p2])
    assert nonzero(left) == {
        (world.centro, p0): Decimal(20),
        (world.norte, p0): Decimal(40),
        (world.centro, p2): Decimal(50),
        (world.norte, p2): Decimal(10),
    }
    assert job_errors(caplog) == []
    assert deadlocks(database) == before


# One scenario: the transfers (origin, destination, quantities of products 0 and 1, what is
# decided), the sales (sede, product, units, re-pushed?), the order the decisions and sales
# start in, and whether the transfer jobs are run again afterwards.
SEDES = st.integers(0, 2)
ROUTES = [(a, b) for a in range(3) for b in range(3) if a != b]
transfer_specs = st.tuples(
    st.sampled_from(ROUTES),
    st.integers(1, 4),
    st.integers(0, 3),
    st.sampled_from(["approve", "approve", "approve", "reject", "cancel"]),
)
sale_specs = st.tuples(SEDES, st.integers(0, 1), st.integers(1, 3), st.booleans())


@dataclass
class Scenario:
    app: FastAPI
    client: httpx.AsyncClient
    world: TransferWorld
    database: DatabaseUrls
    sedes: list[uuid.UUID] = field(default_factory=list)
    cajas: list[Caja] = field(default_factory=list)
    products: list[uuid.UUID] = field(default_factory=list)
    start_total: dict[uuid.UUID, int] = field(default_factory=dict)
    sold: dict[uuid.UUID, int] = field(default_factory=lambda: defaultdict(int))
    # (transfer id, decision, lines), and each one's state once its job has run
    transfers: list[tuple[str, str, dict[uuid.UUID, str]]] = field(default_factory=list)
    done: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def stock_up(self, initial: list[int]) -> None:
        """Three sedes online and two fresh products (so each example starts from its own
        stock), stocked `initial[2 * sede + product]` units."""
        world, client = self.world, self.client
        if world.tenant_id not in _SUR:  # the world outlives the examples; one Sur for all
            _SUR[world.tenant_id] = await add_sede(self.app, client, world, "Sur")
        sur, caja_sur = _SUR[world.tenant_id]
        self.sedes = [world.centro, world.norte, sur]
        self.cajas = [world.caja_centro, world.caja_norte, caja_sur]
        await ping_both(client, world)
        sm = self.app.state.sessionmaker
        for _ in range(2):
            sku = f"H-{uuid.uuid4().hex[:10]}"
            self.products.append((await create_product(sm, world.tenant_id, sku=sku)).id)
        for i, sede in enumerate(self.sedes):
            lines = {p: str(initial[2 * i + j]) for j, p in enumerate(self.products)}
            if lines := {p: q for p, q in lines.items() if q != "0"}:
                await stock_in(client, world, sede, lines)
        self.start_total = {
            p: sum(initial[2 * i + j] for i in range(3)) for j, p in enumerate(self.products)
        }

    async def request_all(self, plan: list[tuple[tuple[int, int], int, int, str]]) -> None:
        for (origin, destination), q0, q1, decision in plan:
            lines = {p: str(q) for p, q in zip(self.products, (q0, q1), strict=True) if q}
            tid = await requested(
                self.client, self.world, self.sedes[origin], self.sedes[destination], lines
            )
            self.transfers.append((tid, decision, lines))

    async def decide(self, tid: str, decision: str) -> None:
        if decision == "approve":
            await approve(self.client, self.world, tid)
            return
        body = {"reason": "no"} if decision == "reject" else {}
        r = await self.client.post(
            f"/api/transfers/{tid}/{decision}", json=body, headers=self.world.owner
        )
        assert r.status_code == 200, r.text

    async def push(self, caja: Caja, op: dict[str, Any], expect: str) -> None:
        body = {"sede_id": str(caja.sede_id), "device_id": str(caja.device_id), "operations": [op]}
        r = await self.client.post("/api/sync/push", json=body, headers=caja.headers)
        assert r.status_code == 200, r.text
        assert r.json()["results"][0]["status"] == expect, r.text

    async def run(self, sale_plan: list[tuple[int, int, int, bool]], shuffle: Any) -> None:
        """Every decision and sale starts at once, in an order of hypothesis's choosing; the
        worker runs the approved transfers' jobs while the sales land. Then the cajas re-push
        the sales they got no answer for."""
        sales = []
        for sede, product, units, _ in sale_plan:
            line = (self.products[product], str(units), "1000.00")
            sales.append((self.cajas[sede], sale_op([line], number=next(_SALE_NUMBERS))))
            self.sold[self.products[product]] += units
        # Shuffled before any coroutine exists: hypothesis may stop the example mid-draw.
        order = [("decide", i) for i in range(len(self.transfers))]
        order += [("push", i) for i in range(len(sales))]
        shuffle(order)
        await asyncio.gather(
            *(
                self.decide(*self.transfers[i][:2])
                if kind == "decide"
                else self.push(*sales[i], "applied")
                for kind, i in order
            )
        )
        for tid, _, _ in self.transfers:
            self.done[tid] = await wait_status(self.client, self.world, tid, FINAL)
        await asyncio.gather(
            *(
                self.push(caja, op, "duplicate")
                for (caja, op), (*_, again) in zip(sales, sale_plan, strict=True)
                if again
            )
        )

    async def rerun_jobs(self) -> None:
        """Each transfer's job again: directly, and deferred again through the jobs app."""
        tenant = self.world.tenant_id
        for tid, _, _ in self.transfers:
            outcome = await execute_transfer(self.app, tenant, uuid.UUID(tid))
            assert outcome.status == "skipped"
            async with tenant_transaction(self.app.state.sessionmaker, tenant) as s:
                await defer_in(
                    s,
                    self.app.state.jobs,
                    "transfers.execute",
                    lock=f"transfer:{tid}",
                    tenant_id=str(tenant),
                    transfer_id=tid,
                )
        await wait_no_transfer_jobs(self.database, [tid for tid, _, _ in self.transfers])

    async def check(self) -> None:
        for tid, decision, lines in self.transfers:
            body: dict[str, Any] = await wait_status(self.client, self.world, tid, FINAL)
            assert body == self.done[tid]  # nothing changed by the retries
            assert body["status"] in OUTCOMES[decision]
            moves = 2 * len(lines) if body["status"] == "completed" else 0
            assert len(body["movements"]) == moves
            if body["status"] == "failed":
                assert "insufficient stock" in body["failure_reason"]
        left = stock(self.database, self.world.tenant_id, self.products)
        for p in self.products:
            total = sum((q for (_, product), q in left.items() if product == p), Decimal(0))
            assert total == self.start_total[p] - self.sold[p]
        movements = movement_sums(self.database, self.world.tenant_id, self.products)
        assert nonzero(movements) == nonzero(left)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    initial=st.lists(st.integers(0, 8), min_size=6, max_size=6),
    transfer_plan=st.lists(transfer_specs, min_size=1, max_size=6),
    sale_plan=st.lists(sale_specs, max_size=5),
    order=st.randoms(use_true_random=False),
    rerun_jobs=st.booleans(),
)
async def test_stock_is_conserved_under_any_interleaving(
    jobs_app: FastAPI,
    jobs_client: httpx.AsyncClient,
    world: TransferWorld,
    database: DatabaseUrls,
    initial: list[int],
    transfer_plan: list[tuple[tuple[int, int], int, int, str]],
    sale_plan: list[tuple[int, int, int, bool]],
    order: random.Random,
    rerun_jobs: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="procrastinate")
    scenario = Scenario(jobs_app, jobs_client, world, database)
    await scenario.stock_up(initial)
    await scenario.request_all(transfer_plan)
    await scenario.run(sale_plan, order.shuffle)
    if rerun_jobs:
        await scenario.rerun_jobs()
    await scenario.check()
    assert job_errors(caplog) == []
    event(f"{sum(d['status'] == 'completed' for d in scenario.done.values())} completed")
    event(f"{sum(d['status'] == 'failed' for d in scenario.done.values())} failed")


async def wait_no_transfer_jobs(database: DatabaseUrls, transfer_ids: list[str]) -> None:
    """Until the re-deferred jobs have run (a successful job is deleted)."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'transfers.execute'"
                " AND args->>'transfer_id' = ANY(%s)",
                (transfer_ids,),
            ).fetchone()
        if row is not None and row[0] == 0:
            return
        assert asyncio.get_running_loop().time() < deadline, "the re-run jobs did not finish"
        await asyncio.sleep(0.1)


def lock_waiters(database: DatabaseUrls) -> int:
    """Backends of the test's database waiting for a row lock (others than the holder)."""
    with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock'"
        ).fetchone()
    return int(row[0]) if row else 0


async def wait_for_waiters(database: DatabaseUrls, n: int) -> None:
    deadline = asyncio.get_running_loop().time() + 30
    while lock_waiters(database) < n:
        assert asyncio.get_running_loop().time() < deadline, f"not {n} waiting for locks"
        await asyncio.sleep(0.05)


async def test_a_sale_at_the_destination_during_the_job_does_not_deadlock(
    jobs_client: httpx.AsyncClient,
    world: TransferWorld,
    database: DatabaseUrls,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The destination has a stock row for one product but not the other, and a caja there
    sells both while the job runs: the sale creates the missing row and waits for the
    job's row, while the job would create that same missing row."""
    caplog.set_level(logging.INFO, logger="procrastinate")
    client = jobs_client
    low, high = sorted(world.products[:2])
    low_sede, high_sede = sorted([world.centro, world.norte])
    # Into the lower sede (its rows are locked first), which has stock of `high` only.
    await stock_in(client, world, high_sede, {low: "5", high: "5"})
    await stock_in(client, world, low_sede, {high: "5"})
    transfer = await requested(client, world, high_sede, low_sede, {low: "1", high: "1"})
    caja = world.caja_centro if low_sede == world.centro else world.caja_norte
    sale = sale_op([(low, "1", "1000.00"), (high, "1", "1000.00")], number=next(_SALE_NUMBERS))
    before = deadlocks(database)
    with psycopg.connect(libpq_url(database.owner_url)) as holder:
        # The origin's row of `low`: the job takes the destination's `high` row, then waits.
        holder.execute(
            "SELECT 1 FROM inventory WHERE tenant_id = %s AND sede_id = %s AND product_id = %s"
            " FOR UPDATE",
            (world.tenant_id, high_sede, low),
        )
        await approve(client, world, transfer)
        await wait_for_waiters(database, 1)
        body = {
            "sede_id": str(caja.sede_id),
            "device_id": str(caja.device_id),
            "operations": [sale],
        }
        pushed = asyncio.create_task(client.post("/api/sync/push", json=body, headers=caja.headers))
        await wait_for_waiters(database, 2)
        holder.rollback()
    r = await pushed
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "applied", r.text
    done = await wait_status(client, world, transfer)
    assert done["status"] == "completed", done["failure_reason"]
    assert job_errors(caplog) == []
    assert deadlocks(database) == before
    left = stock(database, world.tenant_id, [low, high])
    assert left[low_sede, low] == Decimal(0)  # +1 transferred, -1 sold
    assert left[low_sede, high] == Decimal(5)
