"""Whose address the rate limiter sees: the TCP peer, unless the peer is a configured proxy.

uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so anything on the cloud's host
(or a proxy passing the header through) could pick a fresh address, and a fresh rate-limit
bucket, for every guess. `stocky cloud serve` trusts forwarded headers only from
STOCKY_TRUSTED_PROXIES, and from nobody when it is empty.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from stocky.cloud.activation.ratelimit import MAX_FAILURES
from stocky.cloud.config import Settings
from tests.fixtures.cloud_process import new_cloud_process
from tests.fixtures.database import DatabaseUrls

WRONG_CODE = "0000-0000-0000"


def _guesses(url: str, addresses: list[str]) -> list[int]:
    """One wrong activation code per forwarded address; the statuses, in order."""
    statuses = []
    with httpx.Client(base_url=url, timeout=30.0) as http:
        for address in addresses:
            r = http.post(
                "/api/activate",
                json={"code": WRONG_CODE, "device_name": "Caja"},
                headers={"X-Forwarded-For": address},
            )
            statuses.append(r.status_code)
    return statuses


def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    database: DatabaseUrls, settings: Settings, tmp_path: Path
) -> None:
    cloud = new_cloud_process(database, settings, tmp_path)
    cloud.start()
    try:
        addresses = [f"203.0.113.{n}" for n in range(1, MAX_FAILURES + 3)]
        statuses = _guesses(cloud.url, addresses)
    finally:
        cloud.kill()
    # Every guess came from 127.0.0.1, whatever the header said: one bucket, and it fills.
    assert statuses[:MAX_FAILURES] == [404] * MAX_FAILURES, statuses
    assert set(statuses[MAX_FAILURES:]) == {429}, statuses


def test_forwarded_for_from_a_trusted_proxy_is_the_client(
    database: DatabaseUrls, settings: Settings, tmp_path: Path
) -> None:
    cloud = new_cloud_process(
        database, settings, tmp_path, env={"STOCKY_TRUSTED_PROXIES": "127.0.0.1, ::1"}
    )
    cloud.start()
    try:
        spread = _guesses(cloud.url, [f"198.51.100.{n}" for n in range(1, MAX_FAILURES + 3)])
        # One forwarded client guessing again and again still fills its own bucket.
        same = _guesses(cloud.url, ["192.0.2.7"] * (MAX_FAILURES + 1))
    finally:
        cloud.kill()
    assert set(spread) == {404}, spread
    assert same[:MAX_FAILURES] == [404] * MAX_FAILURES, same
    assert same[MAX_FAILURES] == 429, same


def test_a_bad_trusted_proxy_entry_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="not an IP address or CIDR"):
        Settings(data_dir=tmp_path, trusted_proxies="10.0.0.0/8, proxy.example.com")
    assert Settings(data_dir=tmp_path, trusted_proxies="10.0.0.0/8").trusted_proxy_list == [
        "10.0.0.0/8"
    ]
