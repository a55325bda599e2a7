"""The demo's LAN chapter: the two cajas of the first sede share every sale over the store's
network (one is the main caja, the other follows it); the main one is killed and the other
takes over; the old one comes back as secondary. ARCHITECTURE §5."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from stocky.demo.cajas import Caja
from stocky.demo.catalog import DemoProduct
from stocky.demo.processes import free_port

ROLE_TIMEOUT_S = 45.0
SEEN_TIMEOUT_S = 10.0
# Demo-friendly: a silent main caja is replaced within about two seconds.
LAN_TIMINGS = {
    "STOCKY_EDGE_LAN_HEARTBEAT_SECONDS": "0.3",
    "STOCKY_EDGE_LAN_MASTER_TIMEOUT_SECONDS": "1.5",
}


def lan_settings(count: int) -> list[dict[str, str]]:
    """Each caja's LAN settings: loopback, its own port, the others as static peers (one
    machine runs every caja, so no mDNS)."""
    ports = [free_port() for _ in range(count)]
    return [
        {
            "STOCKY_EDGE_LAN": "on",
            "STOCKY_EDGE_LAN_HOST": "127.0.0.1",
            "STOCKY_EDGE_LAN_PORT": str(port),
            "STOCKY_EDGE_LAN_PEERS": ",".join(f"127.0.0.1:{p}" for p in ports if p != port),
            **LAN_TIMINGS,
        }
        for port in ports
    ]


async def wait_roles(cajas: list[Caja], timeout: float = ROLE_TIMEOUT_S) -> tuple[Caja, int]:
    """Until one caja is master and the others its slaves: (the master, its epoch)."""
    deadline = time.monotonic() + timeout
    while True:
        lans = [await c.lan() for c in cajas]
        masters = [c for c, lan in zip(cajas, lans, strict=True) if lan["role"] == "master"]
        if len(masters) == 1:
            master_id = next(lan["master_device_id"] for lan in lans if lan["role"] == "master")
            if all(
                lan["role"] == "slave" and lan["master_device_id"] == master_id
                for lan in lans
                if lan["role"] != "master"
            ):
                epoch = int(lans[cajas.index(masters[0])]["epoch"])
                return masters[0], epoch
        if time.monotonic() > deadline:
            roles = ", ".join(
                f"{c.name}: {lan['role']}" for c, lan in zip(cajas, lans, strict=True)
            )
            raise RuntimeError(f"the LAN did not settle in {timeout:.0f} s ({roles})")
        await asyncio.sleep(0.1)


async def seen_after(seller: Caja, watcher: Caja, product: DemoProduct) -> float:
    """Sell one unit at `seller`; seconds until `watcher` shows the stock it took."""
    before = await watcher.quantity(product.sku)
    started = time.monotonic()
    await seller.sell([(product, Decimal(1))], "cash")
    deadline = started + SEEN_TIMEOUT_S
    while time.monotonic() < deadline:
        if await watcher.quantity(product.sku) == before - 1:
            return time.monotonic() - started
        await asyncio.sleep(0.005)
    raise RuntimeError(f"a sale at {seller.name} never showed at {watcher.name}")
