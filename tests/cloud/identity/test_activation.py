"""Activation codes: single use, expiry, brute-force limits; device credentials and revocation."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import update

from stocky.cloud.activation.ratelimit import MAX_FAILURES
from stocky.cloud.db import SessionMaker, set_tenant
from stocky.cloud.models import ActivationCode
from stocky.core import activation_codes as codes
from tests.cloud.identity.helpers import bearer, create_sede, create_user, issue_code, signup

pytestmark = pytest.mark.asyncio


async def _activate(client: httpx.AsyncClient, code: str, name: str = "Caja 1") -> httpx.Response:
    return await client.post("/api/activate", json={"code": code, "device_name": name})


def _wrong(code: str) -> str:
    """Another well-formed code: the right one with its last character changed."""
    last = codes.ALPHABET[(codes.ALPHABET.index(code[-1]) + 1) % len(codes.ALPHABET)]
    return code[:-1] + last


def _client_address(client: httpx.AsyncClient, address: str) -> None:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    transport.client = (address, 5000)


class TestActivate:
    async def test_activation_answer(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        await create_user(client, t.owner_token, "cashier", sede)
        code = await issue_code(client, t.owner_token, sede)
        assert re.fullmatch(
            r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", code
        )
        r = await _activate(client, code)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["tenant"]["id"] == t.id
        assert body["tenant"]["currency"] == "COP"
        assert body["sede"]["id"] == sede
        assert body["device_credential"].startswith("dc_")
        assert body["jwks"]["keys"][0]["alg"] == "EdDSA"
        assert body["cloud_url"].startswith("http")
        assert {u["role"] for u in body["users"]} == {"owner", "cashier"}
        assert all(u["password_hash"].startswith("$argon2") for u in body["users"])
        assert body["catalog"] == {"products": [], "barcodes": [], "inventory": []}
        r = await client.get("/api/devices/me", headers=bearer(body["device_credential"]))
        assert r.status_code == 200
        assert r.json()["id"] == body["device"]["id"]

    async def test_reuse_409(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        code = await issue_code(client, t.owner_token, sede)
        assert (await _activate(client, code)).status_code == 200
        r = await _activate(client, code, "Caja 2")
        assert r.status_code == 409
        assert "already used" in r.json()["message"]

    async def test_expired_410(
        self, client: httpx.AsyncClient, app_sessionmaker: SessionMaker
    ) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        code = await issue_code(client, t.owner_token, sede)
        async with app_sessionmaker() as session, session.begin():
            import uuid

            await set_tenant(session, uuid.UUID(t.id))
            await session.execute(
                update(ActivationCode).values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
            )
        r = await _activate(client, code)
        assert r.status_code == 410
        assert "expired" in r.json()["message"]

    async def test_bad_code_shape_422(self, client: httpx.AsyncClient) -> None:
        for bad in ("12ab56", "123456", "ABCD-EFGH-JKMU", "ABCD-EFGH-JKMN-P"):
            r = await _activate(client, bad)
            assert r.status_code == 422, bad
            assert r.json()["fields"][0]["field"] == "code"

    async def test_code_as_a_person_types_it(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        code = await issue_code(client, t.owner_token, await create_sede(client, t.owner_token))
        # Lower case, no dashes, spaces, and O / I / L for 0 / 1 / 1 all name the same code.
        typed = code.replace("-", " ").lower().replace("0", "o").replace("1", "l")
        r = await _activate(client, f"  {typed} ")
        assert r.status_code == 200, r.text

    async def test_brute_force_reaches_limit(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        code = await issue_code(client, t.owner_token, sede)
        wrong = _wrong(code)
        for _ in range(MAX_FAILURES):
            assert (await _activate(client, wrong)).status_code == 404
        r = await _activate(client, wrong)
        assert r.status_code == 429
        assert int(r.headers["Retry-After"]) > 0
        # Even the right code waits once the address is blocked.
        assert (await _activate(client, code)).status_code == 429

    async def test_rate_limit_per_sede_on_used_codes(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        code = await issue_code(client, t.owner_token, sede)
        assert (await _activate(client, code)).status_code == 200
        statuses = []
        for i in range(MAX_FAILURES + 1):
            # A different address each time: only the per-sede counter can stop this.
            _client_address(client, f"10.0.0.{i + 1}")
            statuses.append((await _activate(client, code)).status_code)
        assert statuses[:MAX_FAILURES] == [409] * MAX_FAILURES
        assert statuses[-1] == 429

    async def test_an_ipv6_client_pays_per_64(self, client: httpx.AsyncClient) -> None:
        statuses = []
        for i in range(MAX_FAILURES + 1):
            # A new address of the same /64 each time, as any IPv6 host can take.
            _client_address(client, f"2001:db8:1:2::{i + 1:x}")
            statuses.append((await _activate(client, "0000-0000-0001")).status_code)
        assert statuses == [404] * MAX_FAILURES + [429]
        _client_address(client, "2001:db8:1:3::1")  # the next /64 is another client
        assert (await _activate(client, "0000-0000-0001")).status_code == 404

    async def test_a_concurrent_burst_is_counted(self, client: httpx.AsyncClient) -> None:
        # Counted before the lookup, atomically: 60 wrong codes at once from one address
        # get at most MAX_FAILURES answers, the rest wait (read-then-increment let all in).
        t = await signup(client)
        code = await issue_code(client, t.owner_token, await create_sede(client, t.owner_token))
        burst = await asyncio.gather(*(_activate(client, _wrong(code)) for _ in range(60)))
        statuses = [r.status_code for r in burst]
        assert statuses.count(404) <= MAX_FAILURES
        assert statuses.count(404) + statuses.count(429) == 60
        assert statuses.count(429) >= 60 - MAX_FAILURES
        assert all(int(r.headers["Retry-After"]) > 0 for r in burst if r.status_code == 429)
        assert (await _activate(client, code)).status_code == 429  # the address is blocked

    async def test_right_codes_do_not_count(self, client: httpx.AsyncClient) -> None:
        # An installer activating many cajas from one shop is not a guesser.
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        for i in range(MAX_FAILURES + 2):
            r = await _activate(client, await issue_code(client, t.owner_token, sede), f"C{i}")
            assert r.status_code == 200, r.text

    async def test_wrong_codes_elsewhere_do_not_pause_activation(
        self, client: httpx.AsyncClient
    ) -> None:
        # Many addresses guessing (a botnet) no longer pause everyone's activations: there
        # is no system-wide budget to spend, and each address is still limited on its own.
        t = await signup(client)
        code = await issue_code(client, t.owner_token, await create_sede(client, t.owner_token))
        for i in range(3 * MAX_FAILURES):
            _client_address(client, f"10.1.{i}.1")
            assert (await _activate(client, _wrong(code))).status_code == 404
        _client_address(client, "10.2.0.1")
        assert (await _activate(client, code)).status_code == 200


class TestDevices:
    async def test_revoked_device_401(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        body = (await _activate(client, await issue_code(client, t.owner_token, sede))).json()
        cred = body["device_credential"]
        listed = (await client.get("/api/devices", headers=bearer(t.owner_token))).json()
        assert [d["id"] for d in listed] == [body["device"]["id"]]
        r = await client.post(
            f"/api/devices/{body['device']['id']}/revoke", headers=bearer(t.owner_token)
        )
        assert r.status_code == 200
        assert r.json()["status"] == "revoked"
        r = await client.get("/api/devices/me", headers=bearer(cred))
        assert r.status_code == 401
        assert "revoked" in r.json()["message"]

    async def test_forged_credentials_401(self, client: httpx.AsyncClient) -> None:
        t = await signup(client)
        sede = await create_sede(client, t.owner_token)
        body = (await _activate(client, await issue_code(client, t.owner_token, sede))).json()
        cred = body["device_credential"]
        for bad in (cred[:-2] + "xx", "dc_zz_yy_ww", t.owner_token, "nonsense"):
            assert (await client.get("/api/devices/me", headers=bearer(bad))).status_code == 401
        # A user's access token is not a device credential, nor the reverse.
        assert (await client.get("/api/me", headers=bearer(cred))).status_code == 401
