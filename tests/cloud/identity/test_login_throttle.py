"""Wrong passwords are throttled per account and per address (429 with Retry-After), counted
atomically before each check, and a success neither counts nor wipes the failures."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from stocky.cloud.auth import service
from tests.cloud.identity.helpers import login, signup

pytestmark = pytest.mark.asyncio


def _from(client: httpx.AsyncClient, address: str) -> None:
    transport = client._transport
    assert isinstance(transport, httpx.ASGITransport)
    transport.client = (address, 5000)


def _assert_limited(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) > 0
    assert "Too many failed sign-ins" in r.json()["message"]


class TestPerAccount:
    async def test_wrong_passwords_lock_the_account(self, client: httpx.AsyncClient) -> None:
        await signup(client, email="victim@example.com")
        for i in range(service.MAX_FAILURES_PER_ACCOUNT):
            _from(client, f"10.9.{i}.1")  # spread over addresses: the account still counts
            assert (await login(client, "victim@example.com", "guess")).status_code == 401
        _from(client, "10.9.200.1")
        _assert_limited(await login(client, "victim@example.com", "guess"))
        _assert_limited(await login(client, "victim@example.com"))  # even the right one waits
        assert (await login(client, "other@example.com", "guess")).status_code == 401

    async def test_unknown_email_is_throttled_the_same(self, client: httpx.AsyncClient) -> None:
        # Or the 429 would tell which emails exist.
        for _ in range(service.MAX_FAILURES_PER_ACCOUNT):
            assert (await login(client, "ghost@example.com", "guess")).status_code == 401
        _assert_limited(await login(client, "ghost@example.com", "guess"))

    async def test_concurrent_burst(self, client: httpx.AsyncClient) -> None:
        await signup(client, email="victim@example.com")
        burst = await asyncio.gather(
            *(login(client, "victim@example.com", f"guess {i}") for i in range(30))
        )
        statuses = [r.status_code for r in burst]
        assert statuses.count(401) <= service.MAX_FAILURES_PER_ACCOUNT
        assert statuses.count(429) >= 30 - service.MAX_FAILURES_PER_ACCOUNT
        assert statuses.count(401) + statuses.count(429) == 30

    async def test_success_does_not_count_nor_reset(self, client: httpx.AsyncClient) -> None:
        await signup(client, email="owner@example.com")
        limit = service.MAX_FAILURES_PER_ACCOUNT
        for _ in range(limit + 2):  # right passwords never lock anyone out
            assert (await login(client, "owner@example.com")).status_code == 200
        for _ in range(limit - 1):
            assert (await login(client, "owner@example.com", "typo")).status_code == 401
        assert (await login(client, "owner@example.com")).status_code == 200
        assert (await login(client, "owner@example.com", "typo")).status_code == 401  # 10th
        _assert_limited(await login(client, "owner@example.com", "typo"))


class TestPerAddress:
    async def test_many_accounts_from_one_address(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(service, "MAX_FAILURES_PER_ADDRESS", 5)
        await signup(client, email="mine@example.com")
        _from(client, "2001:db8:5:6::1")
        for i in range(4):  # spraying one password over many emails
            r = await login(client, f"u{uuid.uuid4().hex[:6]}@example.com", f"guess {i}")
            assert r.status_code == 401
        # A right login from the same /64 neither counts nor wipes the four failures.
        _from(client, "2001:db8:5:6::2")
        assert (await login(client, "mine@example.com")).status_code == 200
        assert (await login(client, "x@example.com", "guess")).status_code == 401  # the 5th
        _assert_limited(await login(client, "mine@example.com"))
        _from(client, "2001:db8:5:7::1")  # another /64 is another client
        assert (await login(client, "mine@example.com")).status_code == 200
