"""A signing key rotated in the cloud reaches the caja with its next ping, so cloud tokens
signed with the new key verify offline at the caja."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest

from stocky.cloud.auth.keys import rotate
from stocky.cloud.config import Settings
from stocky.edge.auth.tokens import stored_key_ids, verify_cloud_token_in_store
from stocky.edge.sync.engine import SyncEngine
from tests.edge.sync.live_shop import PASSWORD, open_store, seed_shop

pytestmark = pytest.mark.asyncio


async def test_the_caja_follows_a_key_rotation(
    live_cloud: str, settings: Settings, tmp_path: Path
) -> None:
    # Bounded as a whole, engine.stop() included: a hang fails here with the awaiting frame.
    async with asyncio.timeout(120):
        shop = seed_shop(live_cloud, tmp_path / "caja")
        store = open_store(shop.data_dir)
        engine = SyncEngine.for_store(store, ping_seconds=0.2, poll_seconds=3600)
        try:
            before = store.read(stored_key_ids)
            new_key = rotate(settings.data_dir / "keys")  # what `stocky cloud rotate-keys` does
            await engine.start()
            deadline = time.monotonic() + 20
            while new_key.kid not in store.read(stored_key_ids):
                assert time.monotonic() < deadline, "the caja never fetched the new key"
                await asyncio.sleep(0.05)
            assert store.read(stored_key_ids) == before | {new_key.kid}

            r = httpx.post(
                f"{live_cloud}/api/auth/login",
                json={"email": "caja@example.com", "password": PASSWORD},
            )
            token = r.json()["access_token"]
            claims = store.read(lambda conn: verify_cloud_token_in_store(conn, token))
            assert claims.user_id == shop.cashier
        finally:
            await engine.stop()
            store.close()
