"""Transfers executed by real `stocky cloud worker` processes: kill -9, SIGTERM, re-runs.

The API runs in-process without a worker, so only the subprocess runs jobs. A job is made
to block inside its transaction by holding the origin's stock row with SELECT ... FOR UPDATE
on a connection of our own; meanwhile the worker is killed or stopped.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from stocky.cloud.db import tenant_transaction
from stocky.cloud.embedded import libpq_url
from stocky.cloud.jobs.defer import defer_in
from stocky.cloud.transfers.execute import execute_transfer
from tests.cloud.transfers.world import TransferWorld, quantity, request, stock_in, wait_status
from tests.fixtures.database import DatabaseUrls
from tests.fixtures.worker_process import HEARTBEAT_S, SHUTDOWN_TIMEOUT_S, WorkerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

Movement = tuple[uuid.UUID, uuid.UUID, str, Decimal]  # sede, product, type, quantity


def _query(database: DatabaseUrls, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(libpq_url(database.owner_url), autocommit=True) as conn:
        return list(conn.execute(sql, params).fetchall())


def job_statuses(database: DatabaseUrls, transfer_id: str) -> list[str]:
    """The transfer's jobs still in the queue (a successful one is deleted)."""
    rows = _query(
        database,
        "SELECT status::text FROM procrastinate_jobs WHERE task_name = 'transfers.execute'"
        " AND args->>'transfer_id' = %s ORDER BY id",
        transfer_id,
    )
    return [str(r[0]) for r in rows]


def movements(database: DatabaseUrls, transfer_id: str) -> list[Movement]:
    rows = _query(
        database,
        "SELECT sede_id, product_id, type, quantity FROM transactions WHERE transfer_id = %s"
        " ORDER BY type, product_id",
        transfer_id,
    )
    return [(r[0], r[1], str(r[2]), r[3]) for r in rows]  # type: ignore[misc]


def worker_is_stopping(database: DatabaseUrls, worker_id: int) -> bool:
    """A stopping worker cancels its heartbeat before it waits for its running jobs."""
    rows = _query(
        database,
        "SELECT now() - last_heartbeat > make_interval(secs => %s)"
        " FROM procrastinate_workers WHERE id = %s",
        2.5 * HEARTBEAT_S,
        worker_id,
    )
    return bool(rows and rows[0][0])


@contextmanager
def holding_stock(
    database: DatabaseUrls, world: TransferWorld, sede: uuid.UUID, product: uuid.UUID
) -> Iterator[None]:
    """Lock one stock row until the block ends: a job that needs it waits inside its
    transaction (the lock is taken as the owner, outside the app's pool)."""
    with psycopg.connect(libpq_url(database.owner_url)) as conn:
        row = conn.execute(
            "SELECT quantity FROM inventory WHERE tenant_id = %s AND sede_id = %s"
            " AND product_id = %s FOR UPDATE",
            (world.tenant_id, sede, product),
        ).fetchone()
        assert row is not None, "no stock row to hold"
        try:
            yield
        finally:
            conn.rollback()


async def wait_until(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not {what} after {timeout} s")
        await asyncio.sleep(0.1)


async def approve(client: httpx.AsyncClient, world: TransferWorld, transfer_id: str) -> None:
    r = await client.post(f"/api/transfers/{transfer_id}/approve", json={}, headers=world.owner)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "processing"  # no worker in this process


async def requested(
    client: httpx.AsyncClient, world: TransferWorld, lines: dict[uuid.UUID, str]
) -> str:
    r = await request(client, world, lines)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def moved_once(world: TransferWorld, product: uuid.UUID, qty: str) -> list[Movement]:
    """The two movements of a completed one-line transfer Centro -> Norte."""
    return sorted(
        [
            (world.norte, product, "transfer_in", Decimal(qty)),
            (world.centro, product, "transfer_out", -Decimal(qty)),
        ],
        key=lambda m: (m[2], m[1]),
    )


async def test_the_worker_process_completes_a_transfer(
    client: httpx.AsyncClient,
    world_without_worker: TransferWorld,
    worker_process: WorkerProcess,
    database: DatabaseUrls,
) -> None:
    world = world_without_worker
    p0, p1, _ = world.products
    await stock_in(client, world, world.centro, {p0: "10", p1: "2.5"})
    transfer = await requested(client, world, {p0: "4", p1: "1.250"})
    await approve(client, world, transfer)
    done = await wait_status(client, world, transfer)
    assert done["status"] == "completed", done["failure_reason"]
    assert await quantity(client, world, world.centro, p0) == Decimal("6")
    assert await quantity(client, world, world.norte, p0) == Decimal("4")
    assert await quantity(client, world, world.centro, p1) == Decimal("1.25")
    assert await quantity(client, world, world.norte, p1) == Decimal("1.25")
    assert len(movements(database, transfer)) == 4
    assert job_statuses(database, transfer) == []  # succeeded (and deleted)


async def test_a_worker_killed_mid_job_leaves_it_to_the_next_worker(
    client: httpx.AsyncClient,
    world_without_worker: TransferWorld,
    worker_process: WorkerProcess,
    database: DatabaseUrls,
) -> None:
    world = world_without_worker
    p0 = world.products[0]
    await stock_in(client, world, world.centro, {p0: "10"})
    transfer = await requested(client, world, {p0: "4"})
    with holding_stock(database, world, world.centro, p0):
        await approve(client, world, transfer)
        await wait_until(lambda: job_statuses(database, transfer) == ["doing"], "doing")
        worker_process.kill()
        assert movements(database, transfer) == []
    # The dead worker's transaction never commits; the next worker's retry_stalled puts the
    # job back once the dead one's heartbeat is older than the stalled timeout.
    assert movements(database, transfer) == []
    worker_process.start()
    done = await wait_status(client, world, transfer)
    assert done["status"] == "completed", done["failure_reason"]
    assert movements(database, transfer) == moved_once(world, p0, "4")
    assert await quantity(client, world, world.centro, p0) == Decimal("6")
    assert await quantity(client, world, world.norte, p0) == Decimal("4")
    assert "of a stalled worker" in worker_process.log()  # jobs.retry_stalled requeued it
    await wait_until(lambda: job_statuses(database, transfer) == [], "deleted as succeeded")


async def test_sigterm_lets_the_running_job_finish_and_fetches_no_new_one(
    client: httpx.AsyncClient,
    world_without_worker: TransferWorld,
    worker_process: WorkerProcess,
    database: DatabaseUrls,
) -> None:
    world = world_without_worker
    p0, _, p2 = world.products
    await stock_in(client, world, world.centro, {p0: "10", p2: "5"})
    first = await requested(client, world, {p0: "4"})
    second = await requested(client, world, {p2: "1"})
    worker_id = worker_process.worker_id
    assert worker_id is not None
    with holding_stock(database, world, world.centro, p0):
        await approve(client, world, first)
        await wait_until(lambda: job_statuses(database, first) == ["doing"], "doing")
        worker_process.terminate()
        await wait_until(lambda: worker_is_stopping(database, worker_id), "stopping")
        assert worker_process.running  # waiting for its running job
        # Approved while the worker stops: it must not take this one.
        await approve(client, world, second)
    code = await asyncio.to_thread(worker_process.wait, SHUTDOWN_TIMEOUT_S + 10)
    assert code == 0, worker_process.log()
    done = await wait_status(client, world, first, timeout=1)
    assert done["status"] == "completed", done["failure_reason"]
    assert movements(database, first) == moved_once(world, p0, "4")
    assert job_statuses(database, second) == ["todo"]
    worker_process.start()
    done = await wait_status(client, world, second)
    assert done["status"] == "completed", done["failure_reason"]
    assert movements(database, second) == moved_once(world, p2, "1")


async def test_a_job_run_twice_moves_nothing_twice(
    cloud_app: FastAPI,
    client: httpx.AsyncClient,
    world_without_worker: TransferWorld,
    worker_process: WorkerProcess,
    database: DatabaseUrls,
) -> None:
    world = world_without_worker
    p0 = world.products[0]
    await stock_in(client, world, world.centro, {p0: "3"})
    ok = await requested(client, world, {p0: "2"})
    short = await requested(client, world, {p0: "5"})
    for transfer in (ok, short):
        await approve(client, world, transfer)
    done = {t: await wait_status(client, world, t) for t in (ok, short)}
    assert (done[ok]["status"], done[short]["status"]) == ("completed", "failed")

    for transfer in (ok, short):
        outcome = await execute_transfer(cloud_app, world.tenant_id, uuid.UUID(transfer))
        assert outcome.status == "skipped"
        async with tenant_transaction(cloud_app.state.sessionmaker, world.tenant_id) as s:
            await defer_in(
                s,
                cloud_app.state.jobs,
                "transfers.execute",
                lock=f"transfer:{transfer}",
                tenant_id=str(world.tenant_id),
                transfer_id=transfer,
            )
    for transfer in (ok, short):
        await wait_until(lambda t=transfer: job_statuses(database, t) == [], "run again")  # type: ignore[misc]
        again = await wait_status(client, world, transfer)
        assert again == done[transfer]  # same status, version, times and movements
    assert movements(database, ok) == moved_once(world, p0, "2")
    assert movements(database, short) == []
    assert await quantity(client, world, world.centro, p0) == Decimal("1")
    assert await quantity(client, world, world.norte, p0) == Decimal("2")
