"""Against a live cloud: an activated caja knows itself at once (a caja alone is its own
master), learns its sede's other cajas and their revocation by pull, and never another
sede's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from stocky.edge.activation.service import activate
from stocky.edge.store import Store
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker
from tests.edge.sync.live_shop import open_store
from tests.fixtures.cloud_admin import CloudAdmin


def sede_devices(store: Store) -> dict[str, dict[str, Any]]:
    rows = store.read(lambda c: c.execute("SELECT * FROM sede_devices").fetchall())
    return {row["device_id"]: dict(row) for row in rows}


def device_id(store: Store) -> str:
    return str(store.read(lambda c: c.execute("SELECT device_id FROM sede_info").fetchone()[0]))


def pull(url: str, store: Store) -> None:
    credential, sede_id = store.read(
        lambda c: c.execute("SELECT device_credential, sede_id FROM sede_info").fetchone()
    )

    async def run() -> None:
        client = CloudClient(url, credential)
        try:
            outcome = await PullWorker(store, client, sede_id=sede_id).run_once()
        finally:
            await client.aclose()
        assert not outcome.failed

    asyncio.run(run())


def test_cajas_know_their_sede_s_cajas_and_revocations(live_cloud: str, tmp_path: Path) -> None:
    admin = CloudAdmin.signup(live_cloud)
    centro, norte = admin.sede("Centro"), admin.sede("Norte")
    dirs = {name: tmp_path / name for name in ("c1", "c2", "n1")}
    for name, sede in (("c1", centro), ("c2", centro), ("n1", norte)):
        activate(
            cloud_url=live_cloud,
            code=admin.activation_code(sede),
            data_dir=dirs[name],
            device_name=f"Caja {name}",
        )
    stores = {name: open_store(d) for name, d in dirs.items()}
    try:
        ids = {name: device_id(store) for name, store in stores.items()}
        # Right after activation, before any pull: each caja knows itself.
        first = sede_devices(stores["c1"])
        assert list(first) == [ids["c1"]]
        assert first[ids["c1"]]["status"] == "active"
        assert first[ids["c1"]]["name"] == "Caja c1"
        assert first[ids["c1"]]["lan_rank"] >= 1

        pull(live_cloud, stores["c1"])
        known = sede_devices(stores["c1"])
        assert set(known) == {ids["c1"], ids["c2"]}  # never Norte's caja
        assert known[ids["c1"]]["lan_rank"] < known[ids["c2"]]["lan_rank"]

        r = httpx.post(
            f"{live_cloud}/api/devices/{ids['c2']}/revoke", headers=admin.headers, timeout=30
        )
        assert r.status_code == 200, r.text
        pull(live_cloud, stores["c1"])
        revoked = sede_devices(stores["c1"])[ids["c2"]]
        assert revoked["status"] == "revoked"
        assert revoked["revoked_at"] is not None

        pull(live_cloud, stores["n1"])
        assert set(sede_devices(stores["n1"])) == {ids["n1"]}
    finally:
        for store in stores.values():
            store.close()
