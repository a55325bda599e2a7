"""The caja's local login is throttled in its memory: per email and overall, 429 with
Retry-After, counted before each argon2 check (30 wrong in 4.8 s went through)."""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest

from stocky.core.errors import RateLimitedError
from stocky.edge.auth import throttle
from stocky.edge.auth.throttle import LoginThrottle, throttle_for
from tests.edge.factories import PASSWORD, Caja

CASHIER = "cajero@example.com"
MANAGER = "admin@example.com"


async def _login(api: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    return await api.post("/login", json={"email": email, "password": password})


def _assert_limited(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) > 0
    assert "Too many wrong passwords" in r.json()["message"]


@pytest.mark.asyncio
class TestLocalLoginThrottle:
    async def test_per_email(self, api: httpx.AsyncClient) -> None:
        for _ in range(throttle.MAX_FAILURES_PER_EMAIL):
            assert (await _login(api, CASHIER, "guess")).status_code == 401
        _assert_limited(await _login(api, CASHIER, "guess"))
        _assert_limited(await _login(api, CASHIER.upper()))  # even the right one, any case
        assert (await _login(api, MANAGER)).status_code == 200  # others still log in

    async def test_overall(self, api: httpx.AsyncClient, caja: Caja) -> None:
        throttle_for(caja.store).overall = 5
        for i in range(5):  # a different email each time: only the overall count stops it
            assert (await _login(api, f"u{i}@example.com", "guess")).status_code == 401
        _assert_limited(await _login(api, MANAGER))

    async def test_concurrent_burst(self, api: httpx.AsyncClient) -> None:
        burst = await asyncio.gather(*(_login(api, CASHIER, f"guess {i}") for i in range(30)))
        statuses = [r.status_code for r in burst]
        assert statuses.count(401) <= throttle.MAX_FAILURES_PER_EMAIL
        assert statuses.count(429) >= 30 - throttle.MAX_FAILURES_PER_EMAIL
        assert statuses.count(401) + statuses.count(429) == 30

    async def test_success_neither_counts_nor_resets(self, api: httpx.AsyncClient) -> None:
        limit = throttle.MAX_FAILURES_PER_EMAIL
        for _ in range(limit + 2):
            assert (await _login(api, CASHIER)).status_code == 200
        for _ in range(limit - 1):
            assert (await _login(api, CASHIER, "typo")).status_code == 401
        assert (await _login(api, CASHIER)).status_code == 200
        assert (await _login(api, CASHIER, "typo")).status_code == 401
        _assert_limited(await _login(api, CASHIER, "typo"))

    async def test_window_ends(self, api: httpx.AsyncClient, caja: Caja) -> None:
        now = [1000.0]
        limiter = throttle_for(caja.store)
        limiter.clock = lambda: now[0]
        for _ in range(throttle.MAX_FAILURES_PER_EMAIL):
            assert (await _login(api, CASHIER, "guess")).status_code == 401
        r = await _login(api, CASHIER)
        _assert_limited(r)
        assert int(r.headers["Retry-After"]) == throttle.WINDOW_SECONDS
        now[0] += throttle.WINDOW_SECONDS
        assert (await _login(api, CASHIER)).status_code == 200


def test_memory_stays_bounded() -> None:
    now = [0.0]
    limiter = LoginThrottle(overall=10, window_seconds=60, clock=lambda: now[0])
    for minute in range(50):
        now[0] = minute * 60.0
        for i in range(20):
            with contextlib.suppress(RateLimitedError):
                limiter.take(f"{minute}-{i}@example.com")
    assert len(limiter._windows) <= 4 * 10 + 11
