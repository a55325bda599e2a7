"""Plain helper functions that drive the identity API the way a client would."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "correct horse battery"


@dataclass
class Tenant:
    id: str
    slug: str
    owner_token: str
    owner_id: str
    refresh_token: str


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def signup(
    client: httpx.AsyncClient, name: str = "Tienda Uno", email: str | None = None
) -> Tenant:
    email = email or f"owner-{uuid.uuid4().hex[:8]}@example.com"
    r = await client.post(
        "/api/signup",
        json={"tenant_name": name, "email": email, "password": PASSWORD, "currency": "cop"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    return Tenant(
        id=body["tenant"]["id"],
        slug=body["tenant"]["slug"],
        owner_token=body["tokens"]["access_token"],
        owner_id=body["tokens"]["user"]["id"],
        refresh_token=body["tokens"]["refresh_token"],
    )


async def create_sede(client: httpx.AsyncClient, token: str, name: str = "Centro") -> str:
    r = await client.post("/api/sedes", json={"name": name}, headers=bearer(token))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def create_user(
    client: httpx.AsyncClient,
    token: str,
    role: str,
    sede_id: str | None = None,
    email: str | None = None,
) -> dict[str, Any]:
    email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    payload: dict[str, Any] = {
        "email": email,
        "name": role.title(),
        "password": PASSWORD,
        "role": role,
    }
    if sede_id is not None:
        payload["sede_id"] = sede_id
    r = await client.post("/api/users", json=payload, headers=bearer(token))
    assert r.status_code == 201, r.text
    user: dict[str, Any] = r.json()
    return user


async def login(
    client: httpx.AsyncClient, email: str, password: str = PASSWORD, tenant: str | None = None
) -> httpx.Response:
    payload: dict[str, Any] = {"email": email, "password": password}
    if tenant is not None:
        payload["tenant"] = tenant
    return await client.post("/api/auth/login", json=payload)


async def token_for(
    client: httpx.AsyncClient, owner_token: str, role: str, sede_id: str | None
) -> tuple[str, dict[str, Any]]:
    """Create a user with `role` and sign it in; returns (access token, user)."""
    user = await create_user(client, owner_token, role, sede_id)
    r = await login(client, user["email"])
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"]), user


async def issue_code(client: httpx.AsyncClient, token: str, sede_id: str) -> str:
    r = await client.post(f"/api/sedes/{sede_id}/activation-codes", headers=bearer(token))
    assert r.status_code == 201, r.text
    return str(r.json()["code"])
