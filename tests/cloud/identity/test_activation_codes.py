"""The sede's pending activation codes (GET) and revoking one (DELETE), for the web admin:
only the hash is stored, so the list never shows a code; a revoked code then fails
/api/activate exactly as one that never existed. Admin and owner only, as issuing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from stocky.cloud.db import SessionMaker, set_tenant
from stocky.cloud.models import ActivationCode
from tests.cloud.identity.helpers import bearer, create_sede, signup, token_for

pytestmark = pytest.mark.asyncio


async def _issue(client: httpx.AsyncClient, token: str, sede: str) -> dict[str, Any]:
    r = await client.post(f"/api/sedes/{sede}/activation-codes", headers=bearer(token))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def _pending(client: httpx.AsyncClient, token: str, sede: str) -> httpx.Response:
    return await client.get(f"/api/sedes/{sede}/activation-codes", headers=bearer(token))


async def _revoke(client: httpx.AsyncClient, token: str, sede: str, code_id: str) -> httpx.Response:
    return await client.delete(
        f"/api/sedes/{sede}/activation-codes/{code_id}", headers=bearer(token)
    )


async def _activate(client: httpx.AsyncClient, code: str) -> httpx.Response:
    return await client.post("/api/activate", json={"code": code, "device_name": "Caja"})


class TestPendingCodes:
    async def test_lists_only_usable_codes_without_the_code(
        self, client: httpx.AsyncClient, app_sessionmaker: SessionMaker
    ) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        norte = await create_sede(client, t.owner_token, "Norte")
        used = await _issue(client, t.owner_token, centro)
        expired = await _issue(client, t.owner_token, centro)
        first = await _issue(client, t.owner_token, centro)
        second = await _issue(client, t.owner_token, centro)
        await _issue(client, t.owner_token, norte)
        assert (await _activate(client, used["code"])).status_code == 200
        async with app_sessionmaker() as session, session.begin():
            await set_tenant(session, uuid.UUID(t.id))
            await session.execute(
                update(ActivationCode)
                .where(ActivationCode.id == uuid.UUID(expired["id"]))
                .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )

        r = await _pending(client, t.owner_token, centro)
        assert r.status_code == 200, r.text
        listed = r.json()
        assert [c["id"] for c in listed] == [second["id"], first["id"]]  # newest first
        assert set(listed[0]) == {"id", "sede_id", "created_at", "expires_at", "created_by"}
        assert listed[0]["created_by"] == t.owner_id
        assert listed[0]["sede_id"] == centro
        assert datetime.fromisoformat(listed[0]["expires_at"]) == datetime.fromisoformat(
            second["expires_at"]
        )
        for code in (first, second, used):
            assert code["code"] not in r.text
            assert code["code"].replace("-", "") not in r.text

    async def test_roles_and_tenants(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        code = await _issue(client, t.owner_token, centro)
        manager, _ = await token_for(client, t.owner_token, "manager", centro)
        admin, _ = await token_for(client, t.owner_token, "admin", None)
        assert (await _pending(client, admin, centro)).status_code == 200
        assert (await _pending(client, manager, centro)).status_code == 403
        assert (await _revoke(client, manager, centro, code["id"])).status_code == 403
        assert (await client.get(f"/api/sedes/{centro}/activation-codes")).status_code == 401

        other = await signup(client, "Otra Tienda")
        elsewhere = await create_sede(client, other.owner_token, "Centro")
        assert (await _pending(client, other.owner_token, centro)).status_code == 404
        assert (await _revoke(client, other.owner_token, centro, code["id"])).status_code == 404
        assert (await _revoke(client, other.owner_token, elsewhere, code["id"])).status_code == 404
        assert (await _pending(client, other.owner_token, elsewhere)).json() == []
        # Still usable by its own tenant.
        assert [c["id"] for c in (await _pending(client, t.owner_token, centro)).json()] == [
            code["id"]
        ]


class TestRevokeCode:
    async def test_revoked_fails_as_unknown(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        code = await _issue(client, t.owner_token, centro)
        kept = await _issue(client, t.owner_token, centro)

        r = await _revoke(client, t.owner_token, centro, code["id"])
        assert r.status_code == 204, r.text
        assert [c["id"] for c in (await _pending(client, t.owner_token, centro)).json()] == [
            kept["id"]
        ]
        revoked = await _activate(client, code["code"])
        unknown = await _activate(client, "ABCD-EFGH-JKMN")
        assert revoked.status_code == unknown.status_code == 404
        assert revoked.json() == unknown.json()
        assert (await _activate(client, kept["code"])).status_code == 200

        # Revoking it again: it is no longer there.
        again = await _revoke(client, t.owner_token, centro, code["id"])
        assert again.status_code == 404
        assert again.json()["field"] == "code_id"

        logs = await client.get(
            "/api/audit-logs",
            params={"entity_type": "activation_codes", "entity_id": code["id"]},
            headers=bearer(t.owner_token),
        )
        actions = [e["action"] for e in logs.json()["items"]]
        assert actions == ["activation_codes.deleted", "activation_codes.created"]
        assert code["code"] not in logs.text
        deleted = logs.json()["items"][0]
        assert deleted["user_id"] == t.owner_id
        assert deleted["before_data"]["code_hash"] == "[redacted]"

    async def test_a_used_code_stays(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        code = await _issue(client, t.owner_token, centro)
        assert (await _activate(client, code["code"])).status_code == 200
        r = await _revoke(client, t.owner_token, centro, code["id"])
        assert r.status_code == 409, r.text
        assert r.json()["field"] == "code_id"

    async def test_another_sedes_code_is_not_found(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        norte = await create_sede(client, t.owner_token, "Norte")
        code = await _issue(client, t.owner_token, centro)
        assert (await _revoke(client, t.owner_token, norte, code["id"])).status_code == 404
        assert (await _revoke(client, t.owner_token, centro, str(uuid.uuid4()))).status_code == 404
        assert (await _revoke(client, t.owner_token, centro, "not-an-id")).status_code == 422
        assert (await _activate(client, code["code"])).status_code == 200
