"""Realtime benchmark: push commit -> `sync.changes` at the caja -> the caja's pull done.

One command: `python bench/realtime.py [--cajas 200] [--pushes 100]`. Starts embedded
PostgreSQL and Redis, two `stocky cloud serve` processes, connects N cajas (4 per sede) and
pushes one entry at a time through process A from a random caja. Every caja of that sede
hears `sync.changes` and pulls at once. Times are measured from the push's `server_time`,
which the cloud stamps when the batch starts, before its commit: the figures are an upper
bound of commit-to-event. Modes: all cajas on A (one process); half on A, half on B (two
processes, the event crosses Redis). Baseline: a bare python-socketio server emitting to one
of N connected clients in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
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
from stocky.cloud.models import Device, Product, Sede
from stocky.cloud.services import running_services
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


class Caja:
    def __init__(self, info: dict[str, Any], url: str, http: httpx.AsyncClient) -> None:
        self.info, self.url, self.http = info, url, http
        self.headers = {"Authorization": f"Bearer {info['credential']}"}
        self.cursor: str | None = None
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("sync.changes", self._on_changes)
        self.heard: dict[str, float] = {}
        self.pulled: dict[str, float] = {}

    async def _on_changes(self, data: dict[str, Any]) -> None:
        self.heard[data["position"]] = time.time()
        await self.pull()
        self.pulled[data["position"]] = time.time()

    async def pull(self) -> None:
        while True:
            r = await self.http.post(
                f"{self.url}/api/sync/pull",
                json={"sede_id": str(self.info["sede_id"]), "cursor": self.cursor},
                headers=self.headers,
            )
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


async def run_mode(urls: list[str], infos: list[dict[str, Any]], product: str, pushes: int) -> None:
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        cajas = [Caja(info, urls[i % len(urls)], http) for i, info in enumerate(infos)]
        for i in range(0, len(cajas), 20):
            await asyncio.gather(*(c.connect() for c in cajas[i : i + 20]))
        await asyncio.gather(*(c.pull() for c in cajas))
        by_sede: dict[uuid.UUID, list[Caja]] = {}
        for c in cajas:
            by_sede.setdefault(c.info["sede_id"], []).append(c)
        to_event: list[float] = []
        to_pull: list[float] = []
        for _ in range(pushes):
            pusher = random.choice(cajas)
            op_doc = str(new_id())
            body = {
                "sede_id": str(pusher.info["sede_id"]),
                "device_id": str(pusher.info["device_id"]),
                "operations": [
                    {
                        "op_id": str(new_id()),
                        "kind": "transaction.create",
                        "entity_id": op_doc,
                        "client_ts": datetime.now(UTC).isoformat(),
                        "payload": {
                            "type": "entry",
                            "document_id": op_doc,
                            "movements": [
                                {
                                    "id": str(new_id()),
                                    "product_id": product,
                                    "type": "entry",
                                    "quantity": "1",
                                    "unit_cost": "1.00",
                                }
                            ],
                            "client_ts": datetime.now(UTC).isoformat(),
                        },
                    }
                ],
            }
            r = await http.post(f"{urls[0]}/api/sync/push", json=body, headers=pusher.headers)
            res = r.json()
            position = res["results"][0]["position"]
            started = datetime.fromisoformat(res["server_time"]).timestamp()
            receivers = by_sede[pusher.info["sede_id"]]
            deadline = time.time() + 5
            while time.time() < deadline and not all(position in c.pulled for c in receivers):
                await asyncio.sleep(0.002)
            for c in receivers:
                if position in c.heard:
                    to_event.append(c.heard[position] - started)
                if position in c.pulled:
                    to_pull.append(c.pulled[position] - started)
        label = f"{len(urls)} process{'es' if len(urls) > 1 else ''}, {len(cajas)} cajas"
        report(f"{label}: commit -> sync.changes", to_event)
        report(f"{label}: commit -> pull complete", to_pull)
        missed = pushes * PER_SEDE - len(to_event)
        if missed > 0:
            print(f"  (events not seen within 5 s: {missed})")
        await asyncio.gather(*(c.sio.disconnect() for c in cajas))


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
                asyncio.run(run_mode(urls[:1], infos, product, args.pushes))
                asyncio.run(run_mode(urls, infos, product, args.pushes))
                asyncio.run(baseline(args.cajas, args.pushes))
            finally:
                for proc in procs:
                    proc.terminate()
                    proc.wait(timeout=10)


if __name__ == "__main__":
    main()
