"""Realtime benchmark: push commit -> `sync.changes` at the caja -> the caja's pull done.

One command: `python bench/realtime.py [--cajas 200] [--pushes 100]`. Starts embedded
PostgreSQL and Redis, two `stocky cloud serve` processes, connects N cajas (4 per sede) and
pushes one entry at a time through process A from a random caja. Every caja of that sede
hears `sync.changes` and pulls at once. Times are measured from the push's `server_time`,
which the cloud stamps when the batch starts, before its commit: the figures are an upper
bound of commit-to-event. Modes: all cajas on A (one process); half on A, half on B (two
processes, the event crosses Redis). Baseline: a bare python-socketio server emitting to one
of N connected clients in this process.

A third figure per mode: a caja's product edit (catalog), which every caja hears and pulls
at once.

The client side must not be what is measured. Each caja has its own HTTP client (as each
real caja is its own process): one httpx client shared by 200 cajas keeps 200 pooled
connections, and httpcore polls every idle one for readability on each request, ~8 ms of
blocked event loop per request that queued every event behind the previous pull. The cajas
are spread over `--client-procs` processes (a sede's cajas in different ones), which stamp
what they hear with the shared wall clock and report it to this process over a pipe; their
worst event-loop lag is printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx
import socketio
import uvicorn

from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.auth.service import new_device_credential, sha256_hex
from stocky.cloud.cli import migrate_schema
from stocky.cloud.config import Settings
from stocky.cloud.db import create_app_engine, make_sessionmaker, tenant_transaction
from stocky.cloud.embedded import running_services
from stocky.cloud.models import Device, Product, Sede
from stocky.cloud.tenants.service import create_tenant
from stocky.core.ids import new_id

PER_SEDE = 4


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] * 1000


def report(name: str, values: list[float]) -> None:
    if not values:
        print(f"{name:<46} no samples")
        return
    print(
        f"{name:<46} n={len(values):<5} p50={pct(values, 50):7.2f} ms  "
        f"p99={pct(values, 99):7.2f} ms  mean={statistics.fmean(values) * 1000:7.2f} ms"
    )


async def seed(settings: Settings, services: Any, cajas: int) -> tuple[list[dict[str, Any]], str]:
    engine = create_app_engine(services.app_database_url, settings)
    sm = make_sessionmaker(engine)
    async with sm() as session, session.begin():
        created = await create_tenant(
            session, name="Bench", owner_email="bench@example.co", owner_password="bench-pass-1"
        )
    tenant_id = created.tenant.id
    out: list[dict[str, Any]] = []
    product_id = new_id()
    async with tenant_transaction(sm, tenant_id) as session:
        session.add(Product(tenant_id=tenant_id, id=product_id, sku="B-1", name="Bench", price=1))
        for s in range((cajas + PER_SEDE - 1) // PER_SEDE):
            sede_id = new_id()
            session.add(Sede(tenant_id=tenant_id, id=sede_id, name=f"Sede {s}"))
            await session.flush()
            for _ in range(PER_SEDE):
                if len(out) == cajas:
                    break
                device_id = new_id()
                cred = new_device_credential(tenant_id, device_id)
                session.add(
                    Device(
                        tenant_id=tenant_id,
                        id=device_id,
                        sede_id=sede_id,
                        name=f"Caja {len(out)}",
                        credential_hash=sha256_hex(cred),
                    )
                )
                out.append({"sede_id": sede_id, "device_id": device_id, "credential": cred})
    await engine.dispose()
    return out, str(product_id)


Report = Callable[[str, int, str, float], None]  # position, caja index, "heard"/"pulled", t


class Caja:
    def __init__(self, index: int, info: dict[str, Any], url: str, report: Report) -> None:
        self.index, self.info, self.url, self.report = index, info, url, report
        self.http = httpx.AsyncClient(timeout=30)
        self.headers = {"Authorization": f"Bearer {info['credential']}"}
        self.cursor: str | None = None
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("sync.changes", self._on_changes)

    async def _on_changes(self, data: dict[str, Any]) -> None:
        self.report(data["position"], self.index, "heard", time.time())
        await self.pull()
        self.report(data["position"], self.index, "pulled", time.time())

    async def _post_pull(self) -> httpx.Response:
        for attempt in range(3):
            try:
                return await self.http.post(
                    f"{self.url}/api/sync/pull",
                    json={"sede_id": str(self.info["sede_id"]), "cursor": self.cursor},
                    headers=self.headers,
                )
            except httpx.TransportError:
                # uvicorn closes a connection idle for 5 s; reusing it just then can fail.
                # A caja retries (as its pull worker would); the retry's time is counted.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def pull(self) -> None:
        while True:
            r = await self._post_pull()
            body = r.json()
            self.cursor = body["cursor"]
            if not body["has_more"]:
                return

    async def connect(self) -> None:
        await self.sio.connect(
            self.url,
            auth={"token": self.info["credential"]},
            transports=["websocket"],
            wait_timeout=10,
        )


class LoopLag:
    """How late this process's event loop wakes from a 1 ms sleep: the bench's own overhead."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(0.001)
            self.samples.append(time.perf_counter() - t0 - 0.001)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def stop(self) -> tuple[float, float]:
        """(p99, max) in ms."""
        if self._task is not None:
            self._task.cancel()
        if not self.samples:
            return (0.0, 0.0)
        return (pct(self.samples, 99), max(self.samples) * 1000)


def client_process(urls: list[str], cajas: list[tuple[int, dict[str, Any]]], conn: Any) -> None:
    """A process holding some of the cajas: connects them, then reports what they hear."""
    asyncio.run(_client_process(urls, cajas, conn))


async def _client_process(
    urls: list[str], infos: list[tuple[int, dict[str, Any]]], conn: Connection
) -> None:
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[str] = asyncio.Queue()

    def on_command() -> None:
        while conn.poll():
            commands.put_nowait(conn.recv())

    loop.add_reader(conn.fileno(), on_command)

    def report(position: str, index: int, kind: str, t: float) -> None:
        conn.send(("event", position, index, kind, t))

    cajas = [Caja(i, info, urls[i % len(urls)], report) for i, info in infos]
    for i in range(0, len(cajas), 20):
        await asyncio.gather(*(c.connect() for c in cajas[i : i + 20]))
    await asyncio.gather(*(c.pull() for c in cajas))
    conn.send(("ready",))
    lag = LoopLag()
    lag.start()
    while (command := await commands.get()) != "stop":
        if command == "lag":  # report the lag since the last report, start over
            conn.send(("lag", lag.stop()))
            lag = LoopLag()
            lag.start()
    lag.stop()
    await asyncio.gather(*(c.sio.disconnect() for c in cajas))
    await asyncio.gather(*(c.http.aclose() for c in cajas))
    loop.remove_reader(conn.fileno())
    conn.send(("done",))


class Clients:
    """The cajas, spread over processes; `seen[position][caja index][kind]` = wall time."""

    def __init__(self, urls: list[str], infos: list[dict[str, Any]], procs: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        for k in range(procs):
            mine = [(i, info) for i, info in enumerate(infos) if i % procs == k]
            here, there = ctx.Pipe()
            proc = ctx.Process(target=client_process, args=(urls, mine, there), daemon=True)
            proc.start()
            self.conns.append(here)
            self.procs.append(proc)
        self.seen: dict[str, dict[int, dict[str, float]]] = {}
        self._replies: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def _read(self, conn: Connection) -> None:
        while conn.poll():
            message = conn.recv()
            if message[0] == "event":
                _, position, index, kind, t = message
                self.seen.setdefault(position, {}).setdefault(index, {})[kind] = t
            else:
                self._replies.put_nowait(message)

    async def _all(self) -> list[tuple[Any, ...]]:
        """One reply from each process (they answer every command in order)."""
        return [await self._replies.get() for _ in self.conns]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for conn in self.conns:
            loop.add_reader(conn.fileno(), self._read, conn)
        await self._all()

    async def lag(self) -> str:
        for conn in self.conns:
            conn.send("lag")
        lags = [reply[1] for reply in await self._all()]
        worst_p99 = max(p99 for p99, _ in lags)
        worst = max(m for _, m in lags)
        return f"p99={worst_p99:.2f} ms  max={worst:.2f} ms (worst of {len(lags)} processes)"

    async def stop(self) -> None:
        for conn in self.conns:
            conn.send("stop")
        await self._all()
        loop = asyncio.get_running_loop()
        for conn in self.conns:
            loop.remove_reader(conn.fileno())
        for proc in self.procs:
            proc.join(timeout=10)


def entry_op(product: str) -> dict[str, Any]:
    doc = str(new_id())
    now = datetime.now(UTC).isoformat()
    movement = {
        "id": str(new_id()),
        "product_id": product,
        "type": "entry",
        "quantity": "1",
        "unit_cost": "1.00",
    }
    return {
        "op_id": str(new_id()),
        "kind": "transaction.create",
        "entity_id": doc,
        "client_ts": now,
        "payload": {"type": "entry", "document_id": doc, "movements": [movement], "client_ts": now},
    }


def product_op(product: str, version: int) -> dict[str, Any]:
    """A caja's product edit: catalog, so every sede (all the cajas) hears and pulls."""
    return {
        "op_id": str(new_id()),
        "kind": "product.upsert",
        "entity_id": product,
        "base_version": version,
        "client_ts": datetime.now(UTC).isoformat(),
        "payload": {"id": product, "sku": "B-1", "name": f"Bench v{version + 1}", "price": "1"},
    }


class Run:
    """Pushes through the first process and collects what the cajas report."""

    def __init__(self, urls: list[str], infos: list[dict[str, Any]], clients: Clients) -> None:
        self.urls, self.infos, self.clients = urls, infos, clients
        self.http = httpx.AsyncClient(timeout=30)  # the pusher's
        self.by_sede: dict[uuid.UUID, list[int]] = {}
        for i, info in enumerate(infos):
            self.by_sede.setdefault(info["sede_id"], []).append(i)
        self.position, self.started, self.receivers = "", 0.0, list(range(len(infos)))

    async def push(self, op: dict[str, Any], everyone: bool) -> None:
        """Push `op`; wait for the receivers' pulls (the pusher's sede, or every caja)."""
        index = random.randrange(len(self.infos))
        pusher = self.infos[index]
        body = {
            "sede_id": str(pusher["sede_id"]),
            "device_id": str(pusher["device_id"]),
            "operations": [op],
        }
        headers = {"Authorization": f"Bearer {pusher['credential']}"}
        r = await self.http.post(f"{self.urls[0]}/api/sync/push", json=body, headers=headers)
        res = r.json()
        assert res["results"][0]["status"] == "applied", res
        self.position = res["results"][0]["position"]
        self.started = datetime.fromisoformat(res["server_time"]).timestamp()
        self.receivers = (
            list(range(len(self.infos))) if everyone else self.by_sede[pusher["sede_id"]]
        )
        deadline = time.time() + 5
        while time.time() < deadline and not self._all_pulled():
            await asyncio.sleep(0.002)

    def _all_pulled(self) -> bool:
        seen = self.clients.seen.get(self.position, {})
        return all("pulled" in seen.get(i, {}) for i in self.receivers)

    def collect(self, to_event: list[float], to_pull: list[float]) -> int:
        seen = self.clients.seen.get(self.position, {})
        missed = 0
        for i in self.receivers:
            got = seen.get(i, {})
            if "heard" in got:
                to_event.append(got["heard"] - self.started)
            else:
                missed += 1
            if "pulled" in got:
                to_pull.append(got["pulled"] - self.started)
        return missed


async def run_mode(
    urls: list[str],
    infos: list[dict[str, Any]],
    product: str,
    args: argparse.Namespace,
    version: int,
) -> int:
    """One mode's figures; returns the product's version after the catalog edits."""
    clients = Clients(urls, infos, args.client_procs)
    await clients.start()
    run = Run(urls, infos, clients)
    try:
        label = f"{len(urls)} process{'es' if len(urls) > 1 else ''}, {len(infos)} cajas"
        to_event: list[float] = []
        to_pull: list[float] = []
        missed = 0
        await clients.lag()  # start the lag count here
        for _ in range(args.pushes):
            await run.push(entry_op(product), everyone=False)
            missed += run.collect(to_event, to_pull)
        report(f"{label}: commit -> sync.changes", to_event)
        report(f"{label}: commit -> pull complete", to_pull)
        print(f"  (bench clients' event-loop lag: {await clients.lag()})")
        if args.catalog_pushes:
            cat_event: list[float] = []
            cat_pull: list[float] = []
            for _ in range(args.catalog_pushes):
                await run.push(product_op(product, version), everyone=True)
                version += 1
                missed += run.collect(cat_event, cat_pull)
            report(f"{label}, catalog edit: -> sync.changes", cat_event)
            report(f"{label}, catalog edit: -> pull complete", cat_pull)
            print(
                f"  (all {len(infos)} cajas hear it and pull at once; lag: {await clients.lag()})"
            )
        if missed > 0:
            print(f"  (events not seen within 5 s: {missed})")
    finally:
        await clients.stop()
        await run.http.aclose()
    return version


async def baseline(clients: int, emits: int) -> None:
    sio = socketio.AsyncServer(async_mode="asgi")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(socketio.ASGIApp(sio), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)

    @sio.on("connect")
    async def connect(sid: str, environ: Any, auth: Any = None) -> None:
        await sio.enter_room(sid, f"room:{auth['n'] // PER_SEDE}")

    got: dict[int, float] = {}
    conns = []
    for n in range(clients):
        c = socketio.AsyncClient(reconnection=False)

        async def on_ping(data: dict[str, Any]) -> None:
            got.setdefault(data["i"], time.time())

        c.on("ping.bench", on_ping)
        await c.connect(f"http://127.0.0.1:{port}", auth={"n": n}, transports=["websocket"])
        conns.append(c)
    samples = []
    for i in range(emits):
        room = f"room:{random.randrange(clients // PER_SEDE)}"
        t0 = time.time()
        await sio.emit("ping.bench", {"i": i}, to=room)
        while i not in got and time.time() - t0 < 5:
            await asyncio.sleep(0.0005)
        if i in got:
            samples.append(got[i] - t0)
    report(f"baseline: bare python-socketio emit, {clients} clients", samples)
    for c in conns:
        await c.disconnect()
    server.should_exit = True
    await task


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "stocky", "cloud", "serve", "--no-migrate", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )


def wait_up(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cajas", type=int, default=200)
    parser.add_argument("--pushes", type=int, default=100)
    parser.add_argument(
        "--catalog-pushes", type=int, default=10, help="product edits every caja pulls"
    )
    parser.add_argument("--client-procs", type=int, default=4, help="processes holding cajas")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stocky-bench-rt-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        with running_services(settings) as services:
            migrate_schema(settings, services)
            KeyRing.load_or_create(Path(tmp) / "keys")
            infos, product = asyncio.run(seed(settings, services, args.cajas))
            env = {
                **os.environ,
                "STOCKY_DATA_DIR": tmp,
                "STOCKY_DATABASE_URL": services.database_url,
                "STOCKY_APP_DATABASE_URL": services.app_database_url,
                "STOCKY_REDIS_URL": services.redis_url,
            }
            ports = [free_port(), free_port()]
            procs = [serve(env, p) for p in ports]
            try:
                urls = [f"http://127.0.0.1:{p}" for p in ports]
                for url in urls:
                    wait_up(url)
                version = asyncio.run(run_mode(urls[:1], infos, product, args, 1))
                asyncio.run(run_mode(urls, infos, product, args, version))
                asyncio.run(baseline(args.cajas, args.pushes))
            finally:
                for proc in procs:
                    proc.terminate()
                    proc.wait(timeout=10)


if __name__ == "__main__":
    main()
