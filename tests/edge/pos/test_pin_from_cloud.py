"""A manager's PIN set in the cloud approves at the caja (issue 12), end to end: a real
cloud and an activated caja. The manager sets it with their password, the caja pulls the
hash with the user row, a cashier's sale with a discount above the limit is approved by it
and reaches the cloud naming the manager; cleared in the cloud, it approves nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest

from stocky.cloud.embedded import libpq_url
from tests.edge.sync.live_caja import MANAGER_EMAIL, LiveCaja
from tests.fixtures.cloud_admin import PASSWORD
from tests.fixtures.database import DatabaseUrls

pytestmark = pytest.mark.asyncio
CASHIER = "cajera@example.com"
PIN = "739150"


async def _pull_until(caja: LiveCaja, done: Callable[[], bool], timeout: float = 20.0) -> None:
    """The feed serves only what committed below the oldest open transaction: a fresh row
    may take a few pulls on a shared server."""
    deadline = time.monotonic() + timeout
    while not done():
        report = await caja.drain()
        assert not report.pull_failed, "pull failed"
        assert time.monotonic() < deadline, "the caja never pulled it"
        await asyncio.sleep(0.1)


def _pin_hash(caja: LiveCaja) -> str | None:
    row = caja.store.read(
        lambda c: c.execute("SELECT pin_hash FROM users WHERE id = ?", (caja.manager_id,))
    ).fetchone()
    return None if row is None else row[0]


def _manager_token(caja: LiveCaja) -> str:
    r = httpx.post(
        f"{caja.url}/api/auth/login", json={"email": MANAGER_EMAIL, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


async def test_a_pin_set_in_the_cloud_approves_at_the_caja(
    live_cloud: str, database: DatabaseUrls, tmp_path: Path
) -> None:
    caja = LiveCaja.build(live_cloud, database, tmp_path / "caja")
    try:
        caja.admin.user(CASHIER, "Cajera", "cashier", caja.sede)
        product = caja.new_product("unit", 10_000)
        await caja.learn([product.id])
        r = httpx.put(
            f"{caja.url}/api/users/me/pin",
            json={"pin": PIN, "password": PASSWORD},
            headers={"Authorization": f"Bearer {_manager_token(caja)}"},
        )
        assert r.status_code == 204, r.text
        await _pull_until(caja, lambda: _pin_hash(caja) is not None)

        rules = {"shift_required": "none", "discount_approval_above_percent": "10"}
        config = json.dumps({"caja_policy": rules})
        caja.store.write(lambda c: c.execute("UPDATE sede_info SET config = ?", (config,)))
        sale = {
            "lines": [{"product_id": product.id, "quantity": "1"}],
            "discount_percent": "40",
            "payments": [{"method": "cash", "amount": "100"}],
            "manager": {"email": MANAGER_EMAIL, "pin": PIN},
        }
        async with caja.local_api() as api:
            login = await api.post("/login", json={"email": CASHIER, "password": PASSWORD})
            assert login.status_code == 200, login.text
            cashier = {"Authorization": f"Bearer {login.json()['access_token']}"}
            r = await api.post("/sales", json=sale, headers=cashier)
            assert r.status_code == 201, r.text
            sold = r.json()
            assert sold["discount_approved_by"] == caja.manager_id
            await _pull_until(caja, lambda: caja.pending() == 0)
            with psycopg.connect(libpq_url(database.owner_url)) as conn:
                row = conn.execute(
                    "SELECT discount_approved_by::text FROM sales WHERE id = %s", (sold["id"],)
                ).fetchone()
            assert row == (caja.manager_id,)

            # The owner clears it in the cloud: the caja's copy goes, and so does the PIN.
            r = httpx.delete(
                f"{caja.url}/api/users/{caja.manager_id}/pin", headers=caja.admin.headers
            )
            assert r.status_code == 204, r.text
            await _pull_until(caja, lambda: _pin_hash(caja) is None)
            r = await api.post("/sales", json=sale, headers=cashier)
            assert r.status_code == 403, r.text
    finally:
        caja.close()
