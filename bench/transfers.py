"""Transfers between sedes: request -> completed latency, and throughput under contention.

    python -m bench.transfers [--transfers 200] [--contended 200] [--concurrency 4] [--hot 1]
    python -m bench.transfers --quick        # CI-sized: 20 transfers, 40 contended

One process, fresh embedded PostgreSQL and Redis in a temporary folder. The cloud is served
by uvicorn on 127.0.0.1 with its job worker in-process (`stocky cloud serve --with-worker`,
`--concurrency` jobs at once); the owner's Socket.IO client hears `transfer.completed` in
the tenant room. A tenant with two sedes (a caja each, pinging) and `--hot` products stocked
at the origin; every transfer moves one line of one of them (so two stock rows, origin and
destination).
- latency: --transfers transfers one after another: request, approve, then wait for
  `transfer.completed`; p50/p99 of request -> completed, and of approve -> completed (the
  job: deferred, fetched by the worker, its transaction, the emit after its commit), and
  of the job's transaction alone (`execute_transfer`, timed by wrapping it);
- contention: --contended transfers requested first, then all approved at once: every job
  locks the same --hot stock rows; transfers/s from the first approval to the last
  `transfer.completed`.
Baseline, in the same run on the same database: a bare transaction of two UPDATEs on the
same inventory rows (origin minus, destination plus), as the owner through psycopg (the
tables' triggers, change feed included, still run): one after another for latency, and
--concurrency connections at once for throughput.

The client shares the server's event loop and CPU (2 cores on this project's machine): the
figures are the whole round trip as one machine sees it, not the job alone.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import socketio
import uvicorn
from rich.console import Console
from rich.table import Table

import stocky.cloud.transfers.jobs as transfer_jobs
from bench.sync import _ok, activate, catalog_csv
from stocky.cloud.app import create_app
from stocky.cloud.cli import migrate_schema
from stocky.cloud.config import Settings
from stocky.cloud.embedded import libpq_url, running_services

console = Console(width=120)
BASELINE_SQL = (
    "UPDATE inventory SET quantity = quantity + %s"
    " WHERE tenant_id = %s AND sede_id = %s AND product_id = %s"
)


JOB_MS: list[float] = []


def time_the_job() -> None:
    """Wrap the job's transaction (as the task calls it) to time it apart from the queue."""
    name = "execute_transfer"
    execute = vars(transfer_jobs)[name]

    async def timed(*args: Any) -> Any:
        started = time.perf_counter()
        try:
            return await execute(*args)
        finally:
            JOB_MS.append((time.perf_counter() - started) * 1000)

    setattr(transfer_jobs, name, timed)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Heard:
    """The owner's socket: when each transfer's outcome was heard."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.done: dict[str, tuple[str, float]] = {}
        self.waiting: dict[str, asyncio.Future[None]] = {}
        for name in ("transfer.completed", "transfer.failed"):
            self.sio.on(name, self._outcome(name))

    def _outcome(self, name: str) -> Any:
        async def handler(data: dict[str, Any]) -> None:
            tid = data["transfer_id"]
            self.done[tid] = (name, time.perf_counter())
            future = self.waiting.pop(tid, None)
            if future is not None and not future.done():
                future.set_result(None)

        return handler

    async def wait(self, tid: str, timeout: float = 60.0) -> float:
        if tid not in self.done:
            future = self.waiting.setdefault(tid, asyncio.get_running_loop().create_future())
            await asyncio.wait_for(future, timeout)
        name, at = self.done[tid]
        if name != "transfer.completed":
            raise SystemExit(f"transfer {tid} failed")
        return at


class World:
    def __init__(self, http: httpx.AsyncClient, owner: dict[str, str]) -> None:
        self.http, self.owner = http, owner
        self.tenant = ""
        self.sedes: list[str] = []
        self.cajas: list[dict[str, str]] = []
        self.products: list[str] = []
        self.pinged = 0.0

    async def ping(self, every: float = 20.0) -> None:
        """Keep both sedes online (a transfer needs a caja of each heard recently)."""
        if time.monotonic() - self.pinged < every:
            return
        for caja in self.cajas:
            _ok(await self.http.post("/api/sync/ping", json={}, headers=caja))
        self.pinged = time.monotonic()

    async def request(self, i: int) -> str:
        await self.ping()
        body = {
            "from_sede_id": self.sedes[0],
            "to_sede_id": self.sedes[1],
            "lines": [{"product_id": self.products[i % len(self.products)], "quantity": "1"}],
        }
        r = await self.http.post("/api/transfers/request", json=body, headers=self.owner)
        return str(_ok(r)["id"])

    async def approve(self, tid: str) -> None:
        _ok(await self.http.post(f"/api/transfers/{tid}/approve", json={}, headers=self.owner))


async def setup(http: httpx.AsyncClient, hot: int, stock: int) -> World:
    signup = _ok(
        await http.post(
            "/api/signup",
            json={"tenant_name": "Bench", "email": "o@bench.co", "password": "bench-password-1"},
        )
    )
    world = World(http, {"Authorization": f"Bearer {signup['tokens']['access_token']}"})
    world.tenant = signup["tenant"]["id"]
    _ok(
        await http.post(
            "/api/products/import",
            content=catalog_csv(hot),
            headers={**world.owner, "Content-Type": "text/csv"},
        )
    )
    for name in ("Centro", "Norte"):
        answer = await activate(http, world.owner, name)
        world.sedes.append(answer["sede"]["id"])
        world.cajas.append({"Authorization": f"Bearer {answer['device_credential']}"})
    page = _ok(await http.get(f"/api/products?limit={max(hot, 1)}", headers=world.owner))
    world.products = [p["id"] for p in page["items"]][:hot]
    lines = [{"product_id": p, "quantity": str(stock)} for p in world.products]
    for sede in world.sedes:  # both rows exist before the baseline updates them
        _ok(
            await http.post(
                f"/api/inventory/{sede}/opening", json={"lines": lines}, headers=world.owner
            )
        )
    await world.ping(every=0)
    return world


async def latency(world: World, heard: Heard, n: int) -> tuple[list[float], list[float]]:
    whole, job = [], []
    for i in range(n):
        started = time.perf_counter()
        tid = await world.request(i)
        approving = time.perf_counter()
        await world.approve(tid)
        at = await heard.wait(tid)
        whole.append((at - started) * 1000)
        job.append((at - approving) * 1000)
    return whole, job


async def contention(world: World, heard: Heard, m: int) -> tuple[float, float]:
    """(transfers/s from the first approval to the last completion, seconds until every
    approval was answered: the API's share of that time)."""
    tids = [await world.request(i) for i in range(m)]
    await world.ping(every=0)
    started = time.perf_counter()
    await asyncio.gather(*(world.approve(t) for t in tids))
    answered = time.perf_counter() - started
    ends = [await heard.wait(t, timeout=300) for t in tids]
    return m / (max(ends) - started), answered


def baseline_args(world: World, i: int) -> list[tuple[Any, ...]]:
    product = world.products[i % len(world.products)]
    return [
        (Decimal(-1), world.tenant, world.sedes[0], product),
        (Decimal(1), world.tenant, world.sedes[1], product),
    ]


async def bare_move(conn: psycopg.AsyncConnection[Any], world: World, i: int) -> None:
    async with conn.transaction():
        for params in baseline_args(world, i):
            await conn.execute(BASELINE_SQL, params)


async def baseline(owner_url: str, world: World, n: int, m: int, concurrency: int) -> Any:
    url = libpq_url(owner_url)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        times = []
        for i in range(n):
            started = time.perf_counter()
            await bare_move(conn, world, i)
            times.append((time.perf_counter() - started) * 1000)
    conns = [
        await psycopg.AsyncConnection.connect(url, autocommit=True) for _ in range(concurrency)
    ]
    try:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(m):
            queue.put_nowait(i)

        async def worker(conn: psycopg.AsyncConnection[Any]) -> None:
            while not queue.empty():
                await bare_move(conn, world, queue.get_nowait())

        started = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in conns))
        rate = m / (time.perf_counter() - started)
    finally:
        for c in conns:
            await c.close()
    return times, rate


async def run(args: argparse.Namespace, data_dir: Path) -> None:
    port = free_port()
    settings = Settings(data_dir=data_dir / "cloud", port=port, worker_concurrency=args.concurrency)
    with running_services(settings) as services:
        migrate_schema(settings, services)
        app = create_app(settings, services, with_worker=True)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        heard = Heard()
        try:
            async with httpx.AsyncClient(base_url=url, timeout=60) as http:
                stock = 10 * (args.transfers + args.contended + 10)
                world = await setup(http, args.hot, stock)
                await heard.sio.connect(
                    url,
                    auth={"token": world.owner["Authorization"].removeprefix("Bearer ")},
                    transports=["websocket"],
                    wait_timeout=20,
                )
                await latency(world, heard, min(5, args.transfers))  # warm up
                JOB_MS.clear()
                whole, job = await latency(world, heard, args.transfers)
                alone = list(JOB_MS)
                rate, answered = await contention(world, heard, args.contended)
                times, base_rate = await baseline(
                    services.database_url, world, args.transfers, args.contended, args.concurrency
                )
                await check_stock(http, world, args)
        finally:
            if heard.sio.connected:
                await heard.sio.disconnect()
            server.should_exit = True
            await serving
    show(args, whole, job, alone, (rate, answered), times, base_rate)


async def check_stock(http: httpx.AsyncClient, world: World, args: argparse.Namespace) -> None:
    """Every transfer and every bare move took one unit: nothing lost, nothing twice."""
    total = Decimal(0)
    for sede in world.sedes:
        page = _ok(await http.get(f"/api/inventory?sede_id={sede}&limit=200", headers=world.owner))
        total += sum(Decimal(i["quantity"]) for i in page["items"])
    stock = 10 * (args.transfers + args.contended + 10)
    expected = Decimal(2 * stock * len(world.products))
    if total != expected:
        raise SystemExit(f"stock not conserved: {total} != {expected}")


def show(
    args: argparse.Namespace,
    whole: list[float],
    job: list[float],
    alone: list[float],
    contended: tuple[float, float],
    times: list[float],
    base_rate: float,
) -> None:
    base50, base99 = statistics.median(times), pct(times, 0.99)
    rate, answered = contended
    table = Table(
        title=(
            f"transfers: {args.transfers} one at a time, {args.contended} at once on "
            f"{args.hot} product(s), worker concurrency {args.concurrency}"
        )
    )
    for column in ("measure", "p50", "p99", "baseline (bare 2-row UPDATE txn)", "ratio"):
        table.add_column(column, justify="right" if column != "measure" else "left")
    table.add_row(
        "request -> transfer.completed",
        f"{statistics.median(whole):.1f} ms",
        f"{pct(whole, 0.99):.1f} ms",
        f"p50 {base50:.2f} ms, p99 {base99:.2f} ms",
        f"{statistics.median(whole) / base50:.0f}x",
    )
    table.add_row(
        "approve -> transfer.completed",
        f"{statistics.median(job):.1f} ms",
        f"{pct(job, 0.99):.1f} ms",
        "",
        f"{statistics.median(job) / base50:.0f}x",
    )
    table.add_row(
        "the job's transaction alone",
        f"{statistics.median(alone):.1f} ms",
        f"{pct(alone, 0.99):.1f} ms",
        "",
        f"{statistics.median(alone) / base50:.0f}x",
    )
    table.add_row(
        "contended approvals",
        f"{rate:.1f} transfers/s",
        "",
        f"{base_rate:.0f} txn/s ({args.concurrency} connections)",
        f"{rate / base_rate:.3f}",
    )
    console.print(table)
    console.print(
        f"the {args.contended} contended approvals were all answered (jobs queued) after "
        f"{answered:.2f} s of the {args.contended / rate:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=200)
    parser.add_argument("--contended", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--hot", type=int, default=1, help="products the transfers share")
    parser.add_argument("--quick", action="store_true", help="CI-sized: 20 and 40")
    args = parser.parse_args()
    time_the_job()
    if args.quick:
        args.transfers, args.contended = 20, 40
    with tempfile.TemporaryDirectory(prefix="stocky-bench-transfers-") as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
