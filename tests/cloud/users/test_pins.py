"""Approval PINs in the cloud (issue 12): a manager sets their own with their password, an
admin clears anyone's; stored argon2-hashed, never in an answer nor in the audit trail, and
the hash reaches the sede's cajas with the user row in the pull (migration 0011)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from stocky.core.passwords import verify_password
from tests.cloud.identity.helpers import PASSWORD, bearer, create_sede, signup, token_for
from tests.cloud.identity.test_user_scope import _activate, _pull

pytestmark = pytest.mark.asyncio


async def _set(client: httpx.AsyncClient, token: str, pin: Any, password: str = PASSWORD) -> Any:
    return await client.put(
        "/api/users/me/pin", json={"pin": pin, "password": password}, headers=bearer(token)
    )


def _latest(changes: list[dict[str, Any]], user_id: str) -> dict[str, Any]:
    mine = [c for c in changes if c["entity"] == "users" and c["entity_id"] == user_id]
    assert mine, "the pull brought no change of that user"
    data: dict[str, Any] = mine[-1]["data"]
    return data


class TestPins:
    async def test_set_pulled_and_cleared(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        token, manager = await token_for(client, t.owner_token, "manager", centro)
        caja, _ = await _activate(client, t.owner_token, centro)
        await _pull(client, caja)

        r = await _set(client, token, "4821")
        assert r.status_code == 204, r.text
        changes, _ = await _pull(client, caja)
        row = _latest(changes, manager["id"])
        assert verify_password(row["pin_hash"], "4821")
        assert not verify_password(row["pin_hash"], "4822")
        assert row["version"] == manager["version"] + 1  # the checksum sees the change

        # Never answered back: not by the users API, nor in the audit trail.
        seen = await client.get(f"/api/users/{manager['id']}", headers=bearer(t.owner_token))
        assert seen.status_code == 200
        assert seen.json()["has_pin"] is True
        assert "pin_hash" not in seen.text
        assert row["pin_hash"] not in seen.text
        logs = await client.get(
            f"/api/audit-logs?entity_type=users&entity_id={manager['id']}",
            headers=bearer(t.owner_token),
        )
        assert row["pin_hash"] not in logs.text
        assert logs.json()["items"][0]["after_data"]["pin_hash"] == "[redacted]"

        # The owner clears it; the caja hears that too.
        r = await client.delete(f"/api/users/{manager['id']}/pin", headers=bearer(t.owner_token))
        assert r.status_code == 204, r.text
        changes, _ = await _pull(client, caja)
        assert _latest(changes, manager["id"])["pin_hash"] is None
        seen = await client.get(f"/api/users/{manager['id']}", headers=bearer(t.owner_token))
        assert seen.json()["has_pin"] is False

    async def test_refusals_name_the_field(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        token, _ = await token_for(client, t.owner_token, "manager", centro)
        for bad in ("123", "123456789", "12a4", " 1234", 1234):
            r = await _set(client, token, bad)
            assert r.status_code == 422, (bad, r.text)
            assert "pin" in r.text
        r = await _set(client, token, "4821", password="not my password")
        assert r.status_code == 403, r.text
        assert r.json()["field"] == "password"
        r = await client.put(
            "/api/users/me/pin",
            json={"pin": "4821", "password": PASSWORD, "x": 1},
            headers=bearer(token),
        )
        assert r.status_code == 422

    async def test_who_may(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        cashier_token, _ = await token_for(client, t.owner_token, "cashier", centro)
        token, manager = await token_for(client, t.owner_token, "manager", centro)
        other_token, other = await token_for(client, t.owner_token, "manager", centro)
        # A cashier approves nothing, so has no PIN to set.
        assert (await _set(client, cashier_token, "4821")).status_code == 403
        assert (await _set(client, token, "4821")).status_code == 204
        # Two managers may share a PIN: the caja asks who, then the PIN (nothing to leak).
        assert (await _set(client, other_token, "4821")).status_code == 204
        # A manager clears their own, not another's.
        r = await client.delete(f"/api/users/{manager['id']}/pin", headers=bearer(other_token))
        assert r.status_code == 403
        assert (
            await client.delete("/api/users/me/pin", headers=bearer(other_token))
        ).status_code == 204
        # Another tenant's admin finds no such user.
        u = await signup(client, "Tienda Dos")
        r = await client.delete(f"/api/users/{manager['id']}/pin", headers=bearer(u.owner_token))
        assert r.status_code == 404
        assert other["id"] != manager["id"]
