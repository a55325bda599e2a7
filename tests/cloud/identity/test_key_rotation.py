"""`stocky cloud rotate-keys`: a running server signs with the new key at once, old tokens
verify until they expire, and --retire drops only keys no live token can need."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest

from stocky.cloud.auth.keys import key_states, retire, rotate
from stocky.cloud.config import Settings
from tests.cloud.identity.helpers import bearer, login, signup


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STOCKY_")}
    return subprocess.run(
        [sys.executable, "-m", "stocky.cli", "cloud", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **(env or {})},
    )


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


@pytest.mark.asyncio
async def test_a_running_server_follows_a_rotation(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    tenant = await signup(client, email="rota@example.com")
    old_kid = kid_of(tenant.owner_token)

    done = run_cli("rotate-keys", "--data-dir", str(settings.data_dir))
    assert done.returncode == 0, done.stderr
    assert "signs new tokens" in done.stdout

    # No restart: the server lists both keys and signs with the new one.
    kids = [k["kid"] for k in (await client.get("/api/auth/jwks")).json()["keys"]]
    assert len(kids) == 2
    assert old_kid in kids
    fresh = (await login(client, "rota@example.com")).json()["access_token"]
    assert kid_of(fresh) != old_kid
    assert kid_of(fresh) in kids
    # A token signed before the rotation still works until it expires.
    assert (await client.get("/api/me", headers=bearer(tenant.owner_token))).status_code == 200

    # Once the old key's tokens have all expired, retiring it refuses them; the new one stays.
    lifetime = settings.access_token_minutes * 60
    retired = retire(
        settings.data_dir / "keys", token_lifetime_s=lifetime, now=time.time() + 2 * lifetime
    )
    assert [k.kid for k in retired] == [old_kid]
    assert (await client.get("/api/me", headers=bearer(tenant.owner_token))).status_code == 401
    assert (await client.get("/api/me", headers=bearer(fresh))).status_code == 200


def test_retire_keeps_keys_a_live_token_may_need(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    first = rotate(keys)
    second = rotate(keys)
    now = time.time()
    # Superseded just now: tokens it signed may still be live.
    assert retire(keys, token_lifetime_s=900, now=now) == []
    # Never the newest key, however old.
    assert [k.kid for k in retire(keys, token_lifetime_s=900, now=now + 10_000)] == [first.kid]
    assert [s.key.kid for s in key_states(keys)] == [second.kid]
    assert retire(keys, token_lifetime_s=900, now=now + 10**9) == []


def test_cli_retire_and_the_key_from_settings(tmp_path: Path) -> None:
    done = run_cli("rotate-keys", "--data-dir", str(tmp_path), "--retire")
    assert done.returncode == 0, done.stderr
    assert len(key_states(tmp_path / "keys")) == 1

    pem = (next((tmp_path / "keys").glob("signing-*.pem"))).read_text()
    refused = run_cli("rotate-keys", "--data-dir", str(tmp_path), env={"STOCKY_SECRET_KEY": pem})
    assert refused.returncode == 1
    assert "STOCKY_SECRET_KEY" in refused.stderr
    assert "Traceback" not in refused.stderr
