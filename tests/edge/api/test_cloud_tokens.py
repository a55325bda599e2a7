"""The local API accepts a cloud access token, verified offline against the stored JWKS."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.auth.tokens import issue_access_token
from tests.edge.factories import Caja

pytestmark = pytest.mark.asyncio


@pytest.fixture
def ring(caja: Caja, tmp_path: Path) -> KeyRing:
    """The cloud's keys, whose JWKS the caja stored at activation."""
    keys = KeyRing.load_or_create(tmp_path / "cloud-keys")
    jwks = json.dumps(keys.jwks())
    caja.store.write(lambda c: c.execute("UPDATE sede_info SET jwks = ?", (jwks,)))
    return keys


def bearer_for(caja: Caja, ring: KeyRing, user: dict[str, Any], **over: Any) -> dict[str, str]:
    args: dict[str, Any] = {
        "user_id": uuid.UUID(user["id"]),
        "tenant_id": uuid.UUID(caja.sede["tenant_id"]),
        "sede_id": uuid.UUID(caja.sede["sede_id"]),
        "role": user["role"],
        "ttl": timedelta(minutes=15),
    }
    args.update(over)
    token, _ = issue_access_token(ring, **args)
    return {"Authorization": f"Bearer {token}"}


async def test_a_cloud_token_works_like_a_session(
    api: httpx.AsyncClient, caja: Caja, ring: KeyRing
) -> None:
    headers = bearer_for(caja, ring, caja.manager)
    assert (await api.get("/inventory", headers=headers)).status_code == 200
    body = {"lines": [{"product_id": caja.products[0]["id"], "counted": "1"}]}
    assert (await api.post("/adjustments", json=body, headers=headers)).status_code == 201


async def test_the_caja_role_decides_not_the_claim(
    api: httpx.AsyncClient, caja: Caja, ring: KeyRing
) -> None:
    # A cashier's token that claims manager: the caja's copy of the user says cashier.
    headers = bearer_for(caja, ring, caja.cashier, role="manager")
    body = {"lines": [{"product_id": caja.products[0]["id"], "counted": "1"}]}
    assert (await api.post("/adjustments", json=body, headers=headers)).status_code == 403


@pytest.mark.parametrize(
    ("case", "over"),
    [
        ("expired", {"now": datetime.now(UTC) - timedelta(hours=1)}),
        ("another sede", {"sede_id": uuid.uuid4()}),
        ("another tenant", {"tenant_id": uuid.uuid4()}),
        ("unknown user", {"user_id": uuid.uuid4()}),
    ],
)
async def test_refused_tokens(
    api: httpx.AsyncClient, caja: Caja, ring: KeyRing, case: str, over: dict[str, Any]
) -> None:
    response = await api.get("/inventory", headers=bearer_for(caja, ring, caja.cashier, **over))
    assert response.status_code == 401, case
    assert "cloud token refused" in response.json()["message"]


async def test_a_disabled_user_is_refused(
    api: httpx.AsyncClient, caja: Caja, ring: KeyRing
) -> None:
    headers = bearer_for(caja, ring, caja.cashier)
    cashier_id = caja.cashier["id"]
    caja.store.write(lambda c: c.execute("UPDATE users SET active = 0 WHERE id = ?", (cashier_id,)))
    assert (await api.get("/inventory", headers=headers)).status_code == 401


async def test_a_token_of_an_unknown_key_is_refused(
    api: httpx.AsyncClient, caja: Caja, ring: KeyRing, tmp_path: Path
) -> None:
    other = KeyRing.load_or_create(tmp_path / "other-keys")
    response = await api.get("/inventory", headers=bearer_for(caja, other, caja.cashier))
    assert response.status_code == 401
