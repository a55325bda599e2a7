"""A caja receives only the users who may log in at its sede (tenant-wide ones and its own
sede's), with their password hashes: at activation, in the pull, and in the users checksum;
a user who moves to another sede is a delete for the sede it left."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from stocky.core.sync import table_checksum
from tests.cloud.identity.helpers import bearer, create_sede, create_user, issue_code, signup

pytestmark = pytest.mark.asyncio


@dataclass
class Caja:
    sede: str
    credential: str
    cursor: str | None = None


async def _activate(client: httpx.AsyncClient, token: str, sede: str) -> tuple[Caja, Any]:
    code = await issue_code(client, token, sede)
    r = await client.post("/api/activate", json={"code": code, "device_name": "Caja"})
    assert r.status_code == 200, r.text
    body = r.json()
    return Caja(sede, body["device_credential"]), body


async def _pull(client: httpx.AsyncClient, caja: Caja) -> tuple[list[dict[str, Any]], Any]:
    """Every page after the caja's cursor: the changes, and the last page's checksums."""
    changes: list[dict[str, Any]] = []
    while True:
        r = await client.post(
            "/api/sync/pull",
            json={"sede_id": caja.sede, "cursor": caja.cursor, "limit": 500},
            headers=bearer(caja.credential),
        )
        assert r.status_code == 200, r.text
        page = r.json()
        changes += page["changes"]
        caja.cursor = page["cursor"]
        if not page["has_more"]:
            return changes, page["checksums"]


def _apply_users(copy: dict[str, dict[str, Any]], changes: list[dict[str, Any]]) -> None:
    """What the caja's handler does with users: upsert the row, or drop it."""
    for change in changes:
        if change["entity"] != "users":
            continue
        if change["op"] == "delete":
            assert change["data"] is None  # no row, no hash
            copy.pop(change["entity_id"], None)
        else:
            copy[change["entity_id"]] = change["data"]


def _checksum(copy: dict[str, dict[str, Any]]) -> str:
    return table_checksum(f"{u['id']}:{u['version']}" for u in copy.values())


class TestUserScope:
    async def test_activation_pull_and_checksum_follow_the_sede(
        self, client: httpx.AsyncClient
    ) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        norte = await create_sede(client, t.owner_token, "Norte")
        admin = await create_user(client, t.owner_token, "admin")
        mine = await create_user(client, t.owner_token, "cashier", centro)
        manager = await create_user(client, t.owner_token, "manager", centro)
        theirs = await create_user(client, t.owner_token, "cashier", norte)

        caja, body = await _activate(client, t.owner_token, centro)
        expected = {t.owner_id, admin["id"], mine["id"], manager["id"]}
        assert {u["id"] for u in body["users"]} == expected  # not Norte's cashier

        copy = {u["id"]: u for u in body["users"]}
        changes, checksums = await _pull(client, caja)
        _apply_users(copy, changes)
        assert set(copy) == expected
        served = [c for c in changes if c["entity"] == "users" and c["op"] == "upsert"]
        assert theirs["id"] not in {c["entity_id"] for c in served}
        assert theirs["email"] not in str(changes)  # not even its email reaches Centro
        assert checksums["users"] == _checksum(copy)

        # The cashier moves to Norte: at Centro, a delete; at Norte's caja, a user.
        r = await client.patch(
            f"/api/users/{mine['id']}", json={"sede_id": norte}, headers=bearer(t.owner_token)
        )
        assert r.status_code == 200, r.text
        changes, checksums = await _pull(client, caja)
        moved = [c for c in changes if c["entity"] == "users"]
        assert [(c["entity_id"], c["op"]) for c in moved] == [(mine["id"], "delete")]
        _apply_users(copy, changes)
        assert set(copy) == expected - {mine["id"]}
        assert checksums["users"] == _checksum(copy)

        north, body = await _activate(client, t.owner_token, norte)
        assert {u["id"] for u in body["users"]} == {
            t.owner_id,
            admin["id"],
            mine["id"],
            theirs["id"],
        }
        north_copy = {u["id"]: u for u in body["users"]}
        changes, checksums = await _pull(client, north)
        _apply_users(north_copy, changes)
        assert set(north_copy) == {t.owner_id, admin["id"], mine["id"], theirs["id"]}
        assert checksums["users"] == _checksum(north_copy)

    async def test_refetch_is_scoped(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        norte = await create_sede(client, t.owner_token, "Norte")
        mine = await create_user(client, t.owner_token, "cashier", centro)
        await create_user(client, t.owner_token, "cashier", norte)
        caja, _ = await _activate(client, t.owner_token, centro)
        await _pull(client, caja)
        r = await client.post(
            "/api/sync/refetch",
            json={"sede_id": centro, "table": "users"},
            headers=bearer(caja.credential),
        )
        assert r.status_code == 200, r.text
        assert {c["entity_id"] for c in r.json()["changes"]} == {t.owner_id, mine["id"]}
