"""Signup, login, refresh, JWKS, /me, and tokens that must be refused."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from stocky.cloud.auth.tokens import issue_access_token
from stocky.cloud.config import Settings
from stocky.core import passwords
from tests.cloud.identity.helpers import PASSWORD, bearer, create_sede, create_user, login, signup

pytestmark = pytest.mark.asyncio


class TestSignupAndLogin:
    async def test_signup_then_me(self, client: httpx.AsyncClient) -> None:
        tenant = await signup(client)
        r = await client.get("/api/me", headers=bearer(tenant.owner_token))
        assert r.status_code == 200, r.text
        assert r.json()["user"]["role"] == "owner"
        assert r.json()["tenant"]["currency"] == "COP"
        assert "password_hash" not in r.json()["user"]

    async def test_email_normalized_and_login(self, client: httpx.AsyncClient) -> None:
        await signup(client, email="  Dueno@Example.COM ")
        r = await login(client, "DUENO@example.com")
        assert r.status_code == 200, r.text
        claims = jwt.decode(r.json()["access_token"], options={"verify_signature": False})
        assert set(claims) >= {"sub", "tenant_id", "sede_id", "role", "exp"}
        assert jwt.get_unverified_header(r.json()["access_token"])["kid"]

    async def test_wrong_password_and_unknown_email_401(self, client: httpx.AsyncClient) -> None:
        await signup(client, email="a@example.com")
        assert (await login(client, "a@example.com", "wrong-password")).status_code == 401
        assert (await login(client, "nobody@example.com")).status_code == 401

    async def test_unknown_email_still_runs_argon2(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seen: list[str] = []
        real = passwords.verify_password

        def spy(password_hash: str, password: str) -> bool:
            seen.append(password_hash)
            return real(password_hash, password)

        monkeypatch.setattr(passwords, "verify_password", spy)
        assert (await login(client, "ghost@example.com")).status_code == 401
        assert seen == [passwords.DUMMY_HASH]

    async def test_same_email_in_two_tenants_needs_tenant(self, client: httpx.AsyncClient) -> None:
        t1 = await signup(client, "Uno", email="same@example.com")
        t2 = await signup(client, "Dos", email="same@example.com")
        r = await login(client, "same@example.com")
        assert r.status_code == 409
        assert sorted(r.json()["tenants"]) == sorted([t1.slug, t2.slug])
        r = await login(client, "same@example.com", tenant=t2.slug)
        assert r.status_code == 200
        assert r.json()["user"]["tenant_id"] == t2.id

    async def test_two_tenants_wrong_password_tells_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        # The password is checked first: a wrong one answers as for an unknown email, and
        # never lists the businesses that hold the email (that enumerated tenants).
        await signup(client, "Uno", email="same@example.com")
        await signup(client, "Dos", email="same@example.com")
        wrong = await login(client, "same@example.com", "not-the-password")
        ghost = await login(client, "ghost@example.com", "not-the-password")
        assert wrong.status_code == ghost.status_code == 401
        assert wrong.json() == ghost.json()
        assert "tenants" not in wrong.json()

    async def test_two_tenants_only_where_the_password_matches(
        self, client: httpx.AsyncClient
    ) -> None:
        t1 = await signup(client, "Uno", email="same@example.com")
        t2 = await signup(client, "Dos", email="same@example.com")
        t3 = await signup(client, "Tres", email="same@example.com")
        # In Dos the same email has another password: it is neither listed nor signed in.
        r = await client.patch(
            f"/api/users/{t2.owner_id}",
            json={"password": "another password"},
            headers=bearer(t2.owner_token),
        )
        assert r.status_code == 200, r.text
        r = await login(client, "same@example.com")
        assert r.status_code == 409
        assert sorted(r.json()["tenants"]) == sorted([t1.slug, t3.slug])
        r = await login(client, "same@example.com", "another password")
        assert r.status_code == 200  # right in one business only: no question to ask
        assert r.json()["user"]["tenant_id"] == t2.id

    async def test_duplicate_email_in_tenant_409(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        await create_user(client, t.owner_token, "cashier", sede, email="c@example.com")
        r = await client.post(
            "/api/users",
            json={
                "email": "C@Example.com",
                "name": "x",
                "password": PASSWORD,
                "role": "cashier",
                "sede_id": sede,
            },
            headers=bearer(t.owner_token),
        )
        assert r.status_code == 409
        assert "email" in r.json()["message"]


class TestRefresh:
    async def test_rotation_and_reuse(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        r = await client.post("/api/auth/refresh", json={"refresh_token": t.refresh_token})
        assert r.status_code == 200, r.text
        new = r.json()["refresh_token"]
        assert new != t.refresh_token
        # The old one was revoked by the rotation; reusing it ends the family too.
        r = await client.post("/api/auth/refresh", json={"refresh_token": t.refresh_token})
        assert r.status_code == 401
        r = await client.post("/api/auth/refresh", json={"refresh_token": new})
        assert r.status_code == 401

    async def test_garbage_refresh_401(self, client: httpx.AsyncClient) -> None:
        for token in ("rt_nothex_abc", f"rt_{uuid.uuid4().hex}_nope", "xxxxxxxxxxxx"):
            r = await client.post("/api/auth/refresh", json={"refresh_token": token})
            assert r.status_code == 401, token

    async def test_disabling_user_revokes_refresh(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        user = await create_user(client, t.owner_token, "cashier", sede)
        r = await login(client, user["email"])
        refresh = r.json()["refresh_token"]
        r = await client.delete(f"/api/users/{user['id']}", headers=bearer(t.owner_token))
        assert r.status_code == 200
        assert r.json()["active"] is False
        r = await client.post("/api/auth/refresh", json={"refresh_token": refresh})
        assert r.status_code == 401
        assert (await login(client, user["email"])).status_code == 401


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class TestTokenTampering:
    async def _claims(self, client: httpx.AsyncClient) -> tuple[str, dict[str, Any]]:
        t = await signup(client)
        return t.owner_token, jwt.decode(t.owner_token, options={"verify_signature": False})

    async def test_alg_none(self, client: httpx.AsyncClient) -> None:
        _, claims = await self._claims(client)
        forged = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
        assert (await client.get("/api/me", headers=bearer(forged))).status_code == 401

    async def test_hs256_with_public_key(self, client: httpx.AsyncClient) -> None:
        token, claims = await self._claims(client)
        jwks = (await client.get("/api/auth/jwks")).json()
        x = jwks["keys"][0]["x"]
        import hashlib
        import hmac

        header = _b64({"alg": "HS256", "typ": "JWT", "kid": jwks["keys"][0]["kid"]})
        body = _b64(claims)
        sig = hmac.new(x.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
        forged = f"{header}.{body}.{base64.urlsafe_b64encode(sig).rstrip(b'=').decode()}"
        assert (await client.get("/api/me", headers=bearer(forged))).status_code == 401
        assert (await client.get("/api/me", headers=bearer(token))).status_code == 200

    async def test_wrong_key(self, client: httpx.AsyncClient) -> None:
        token, claims = await self._claims(client)
        kid = jwt.get_unverified_header(token)["kid"]
        other = Ed25519PrivateKey.generate()
        forged = jwt.encode(claims, other, algorithm="EdDSA", headers={"kid": kid})
        assert (await client.get("/api/me", headers=bearer(forged))).status_code == 401

    async def test_expired(self, client: httpx.AsyncClient, cloud_app: FastAPI) -> None:
        _, claims = await self._claims(client)
        token, _ = issue_access_token(
            cloud_app.state.keys,
            user_id=uuid.UUID(claims["sub"]),
            tenant_id=uuid.UUID(claims["tenant_id"]),
            sede_id=None,
            role="owner",
            ttl=timedelta(minutes=1),
            now=datetime.now(UTC) - timedelta(hours=1),
        )
        r = await client.get("/api/me", headers=bearer(token))
        assert r.status_code == 401
        assert "expired" in r.json()["message"]

    async def test_other_tenant_claim(self, client: httpx.AsyncClient, cloud_app: FastAPI) -> None:
        _, claims = await self._claims(client)
        other = await signup(client, "Otra")
        # A genuinely signed token whose sub belongs to tenant A but names tenant B: RLS
        # scopes to B, where that user does not exist, so the token names nobody (401).
        token, _ = issue_access_token(
            cloud_app.state.keys,
            user_id=uuid.UUID(claims["sub"]),
            tenant_id=uuid.UUID(other.id),
            sede_id=None,
            role="owner",
            ttl=timedelta(minutes=5),
        )
        assert (await client.get("/api/me", headers=bearer(token))).status_code == 401
        # And a tampered tenant claim breaks the signature.
        header, _, sig = other.owner_token.split(".")
        forged = f"{header}.{_b64({**claims, 'tenant_id': other.id})}.{sig}"
        assert (await client.get("/api/me", headers=bearer(forged))).status_code == 401


class TestBadInput:
    async def test_validation_names_field(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            "/api/signup", json={"tenant_name": "X Y", "email": "bad", "password": PASSWORD}
        )
        assert r.status_code == 422
        assert r.json()["fields"][0]["field"] == "email"

    async def test_unknown_field_refused(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            "/api/auth/login", json={"email": "a@example.com", "password": "x", "admin": True}
        )
        assert r.status_code == 422
        assert "admin" in r.json()["message"]

    async def test_malformed_json_400(self, client: httpx.AsyncClient) -> None:
        r = await client.post(
            "/api/signup", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400

    async def test_oversized_413(self, client: httpx.AsyncClient, settings: Settings) -> None:
        big = b'{"email": "' + b"a" * (settings.max_body_bytes + 10) + b'"}'
        r = await client.post(
            "/api/auth/login", content=big, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 413
