"""The business details a receipt prints reach an activated caja: set in the cloud after
activation (PATCH /api/tenant), adopted from the next ping, and kept when unchanged."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from stocky.edge.config import store_path
from stocky.edge.store import Store
from stocky.edge.store.sede import load_sede_info
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.monitor import NetworkMonitor
from tests.edge.activation.conftest import Cloud
from tests.edge.activation.test_activate import _activate

LEGAL = {"legal_name": "Tienda Uno S.A.S.", "tax_id": "900.123.456-7", "address": "Cra 7 # 12"}


async def _ping(store: Store) -> None:
    credential = store.read(
        lambda c: c.execute("SELECT device_credential FROM sede_info").fetchone()[0]
    )
    url = store.read(lambda c: c.execute("SELECT cloud_url FROM sede_info").fetchone()[0])
    client = CloudClient(url, credential)
    try:
        assert await NetworkMonitor(store, client).run_once()
    finally:
        await client.aclose()


def test_a_change_in_the_cloud_reaches_the_receipt_details(cloud: Cloud, tmp_path: Path) -> None:
    assert _activate(cloud.url, cloud.code(), tmp_path)[0] == 0
    with Store.open(store_path(tmp_path)) as store:
        info = store.read(load_sede_info)
        assert info is not None
        assert info.business == {}
        r = httpx.patch(f"{cloud.url}/api/tenant", json=LEGAL, headers=cloud.admin.headers)
        assert r.status_code == 200, r.text
        asyncio.run(_ping(store))
        info = store.read(load_sede_info)
        assert info is not None
        assert info.business == LEGAL
        r = httpx.patch(
            f"{cloud.url}/api/tenant", json={"address": ""}, headers=cloud.admin.headers
        )
        assert r.status_code == 200, r.text
        asyncio.run(_ping(store))
        info = store.read(load_sede_info)
        assert info is not None
        assert info.business == {k: v for k, v in LEGAL.items() if k != "address"}
