"""A user's own account from the web admin (issue 14): sign out (POST /api/auth/logout),
change the password (PUT /api/users/me/password) and the name or language
(PATCH /api/users/me); the language is on UserOut, /api/me and the login answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from stocky.core.passwords import verify_password
from tests.cloud.identity.helpers import (
    PASSWORD,
    bearer,
    create_sede,
    login,
    signup,
    token_for,
)
from tests.cloud.identity.test_user_scope import _activate, _pull

pytestmark = pytest.mark.asyncio

NEW_PASSWORD = "a much newer secret"


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


async def _logs(client: httpx.AsyncClient, token: str, **params: str) -> list[dict[str, Any]]:
    r = await client.get("/api/audit-logs", params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def _change(
    client: httpx.AsyncClient, token: str, current: str, new: str = NEW_PASSWORD, **extra: Any
) -> httpx.Response:
    return await client.put(
        "/api/users/me/password",
        json={"current_password": current, "new_password": new, **extra},
        headers=bearer(token),
    )


class TestLogout:
    async def test_revokes_that_refresh_token_only(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        me = (await client.get("/api/me", headers=bearer(t.owner_token))).json()["user"]
        other = (await login(client, me["email"])).json()["refresh_token"]

        r = await client.post("/api/auth/logout", json={"refresh_token": t.refresh_token})
        assert r.status_code == 204, r.text
        assert r.content == b""
        assert (await _refresh(client, t.refresh_token)).status_code == 401
        # Signing out twice is the same answer, and nothing else is told.
        again = await client.post("/api/auth/logout", json={"refresh_token": t.refresh_token})
        assert again.status_code == 204

        entries = await _logs(client, t.owner_token, entity_type="users", entity_id=t.owner_id)
        logouts = [e for e in entries if e["action"] == "auth.logout"]
        assert len(logouts) == 1  # the second sign-out changed nothing
        assert logouts[0]["user_id"] == t.owner_id
        assert t.refresh_token not in str(entries)
        # The revoked token presented again is reuse: the user's other sessions end too.
        assert (await _refresh(client, other)).status_code == 401

    async def test_unknown_tokens_answer_the_same(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        forged = "rt_" + t.id.replace("-", "") + "_not-a-real-secret"
        for token in (forged, "rt_nonsense", "x", "rt_" + "0" * 32 + "_abc"):
            r = await client.post("/api/auth/logout", json={"refresh_token": token})
            assert r.status_code == 204, (token, r.text)
        assert (await _refresh(client, t.refresh_token)).status_code == 200

    async def test_refusals_name_the_field(self, client: httpx.AsyncClient) -> None:
        r = await client.post("/api/auth/logout", json={})
        assert r.status_code == 422
        assert "refresh_token" in r.text
        r = await client.post("/api/auth/logout", json={"refresh_token": "a" * 201})
        assert r.status_code == 422


class TestPasswordChange:
    async def test_changes_and_ends_other_sessions(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        token, cashier = await token_for(client, t.owner_token, "cashier", centro)
        kept = (await login(client, cashier["email"])).json()
        ended = (await login(client, cashier["email"])).json()
        caja, _ = await _activate(client, t.owner_token, centro)
        await _pull(client, caja)

        r = await _change(
            client, kept["access_token"], PASSWORD, refresh_token=kept["refresh_token"]
        )
        assert r.status_code == 204, r.text

        assert (await login(client, cashier["email"])).status_code == 401
        assert (await login(client, cashier["email"], NEW_PASSWORD)).status_code == 200
        assert (await _refresh(client, kept["refresh_token"])).status_code == 200
        assert (await _refresh(client, ended["refresh_token"])).status_code == 401
        # The access token in hand still works until it expires.
        assert (await client.get("/api/me", headers=bearer(token))).status_code == 200

        # The caja gets the new hash with the user row, for offline login.
        changes, _ = await _pull(client, caja)
        rows = [c["data"] for c in changes if c["entity_id"] == cashier["id"] and c["data"]]
        assert rows, "the pull brought the changed user"
        assert verify_password(rows[-1]["password_hash"], NEW_PASSWORD)
        assert rows[-1]["version"] == cashier["version"] + 1

        # Audited, never with the password or its hash.
        entries = await _logs(client, t.owner_token, entity_type="users", entity_id=cashier["id"])
        changed = [e for e in entries if e["action"] == "users.updated"]
        assert changed[0]["after_data"]["password_hash"] == "[redacted]"
        assert changed[0]["user_id"] == cashier["id"]
        text = str(entries)
        assert NEW_PASSWORD not in text
        assert PASSWORD not in text
        assert rows[-1]["password_hash"] not in text

    async def test_without_a_kept_session_all_end(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        assert (await _change(client, t.owner_token, PASSWORD)).status_code == 204
        assert (await _refresh(client, t.refresh_token)).status_code == 401

    async def test_wrong_current_password(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        r = await _change(client, t.owner_token, "not my password")
        assert r.status_code == 403, r.text
        assert r.json()["field"] == "current_password"
        assert "not my password" not in r.text
        # Nothing changed: the old password still signs in, the session still refreshes.
        me = (await client.get("/api/me", headers=bearer(t.owner_token))).json()["user"]
        assert (await login(client, me["email"])).status_code == 200
        assert (await _refresh(client, t.refresh_token)).status_code == 200

    async def test_new_password_rules(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        for body in (
            {"current_password": PASSWORD, "new_password": "short"},
            {"current_password": PASSWORD, "new_password": "x" * 201},
            {"current_password": "", "new_password": NEW_PASSWORD},
            {"new_password": NEW_PASSWORD},
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "role": "owner"},
        ):
            r = await client.put("/api/users/me/password", json=body, headers=bearer(t.owner_token))
            assert r.status_code == 422, (body, r.text)
        r = await _change(client, t.owner_token, PASSWORD, "short")
        assert "new_password" in r.text

    async def test_wrong_passwords_are_throttled(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        answers = [
            (await _change(client, t.owner_token, f"guess {i}")).status_code for i in range(11)
        ]
        assert answers[:10] == [403] * 10
        assert answers[10] == 429
        # Even the right password waits now: the window is the user's.
        assert (await _change(client, t.owner_token, PASSWORD)).status_code == 429

    async def test_needs_a_user(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        caja, _ = await _activate(client, t.owner_token, centro)
        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        r = await client.put("/api/users/me/password", json=body, headers=bearer(caja.credential))
        assert r.status_code == 401
        r = await client.put("/api/users/me/password", json=body)
        assert r.status_code == 401


class TestProfile:
    async def test_language_defaults_to_spanish(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        me = (await client.get("/api/me", headers=bearer(t.owner_token))).json()
        assert me["user"]["language"] == "es"
        answer = (await login(client, me["user"]["email"])).json()
        assert answer["user"]["language"] == "es"

    async def test_any_role_changes_its_own(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        token, cashier = await token_for(client, t.owner_token, "cashier", centro)
        r = await client.patch("/api/users/me", json={"language": "en"}, headers=bearer(token))
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["language"] == "en"
        assert body["id"] == cashier["id"]
        assert body["version"] == cashier["version"] + 1
        assert body["name"] == cashier["name"]
        me = (await client.get("/api/me", headers=bearer(token))).json()["user"]
        assert me["language"] == "en"

        r = await client.patch("/api/users/me", json={"name": "  Ana  "}, headers=bearer(token))
        assert r.status_code == 200
        assert r.json()["name"] == "Ana"
        assert r.json()["language"] == "en"  # not sent, not changed
        # Sending what is already there changes nothing.
        same = await client.patch("/api/users/me", json={"name": "Ana"}, headers=bearer(token))
        assert same.json()["version"] == r.json()["version"]

        entries = await _logs(client, t.owner_token, entity_type="users", entity_id=cashier["id"])
        assert entries[0]["after_data"]["name"] == "Ana"

    async def test_only_name_and_language(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        headers = bearer(t.owner_token)
        for body in (
            {"language": "fr"},
            {"language": ""},
            {"name": ""},
            {"name": "x" * 201},
            {"role": "admin"},
            {"email": "x@example.com"},
            {"active": False},
        ):
            r = await client.patch("/api/users/me", json=body, headers=headers)
            assert r.status_code == 422, (body, r.text)
            assert next(iter(body)) in r.text

    async def test_language_reaches_the_caja_pull_unbroken(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        caja, _ = await _activate(client, t.owner_token, centro)
        await _pull(client, caja)
        r = await client.patch(
            "/api/users/me", json={"language": "en"}, headers=bearer(t.owner_token)
        )
        assert r.status_code == 200
        changes, checksums = await _pull(client, caja)
        mine = [c for c in changes if c["entity_id"] == t.owner_id]
        assert mine
        assert mine[-1]["version"] == r.json()["version"]
        assert checksums  # the last page still carries them

    async def test_an_admin_sets_anothers_language(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        centro = await create_sede(client, t.owner_token, "Centro")
        _, manager = await token_for(client, t.owner_token, "manager", centro)
        r = await client.patch(
            f"/api/users/{manager['id']}", json={"language": "en"}, headers=bearer(t.owner_token)
        )
        assert r.status_code == 200, r.text
        assert r.json()["language"] == "en"
        listed = await client.get("/api/users", headers=bearer(t.owner_token))
        assert {u["id"]: u["language"] for u in listed.json()}[manager["id"]] == "en"
        bad = await client.patch(
            f"/api/users/{manager['id']}", json={"language": "de"}, headers=bearer(t.owner_token)
        )
        assert bad.status_code == 422
