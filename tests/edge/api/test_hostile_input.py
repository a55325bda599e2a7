"""The caja's local API and screens: bounded paging, and only requests addressed to it.

A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends its
own host name in Host; the caja refuses it, over real sockets for the whole `stocky edge run`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from stocky.edge.api.hosts import allowed_hosts, host_name
from tests.edge.factories import Caja
from tests.fixtures.cloud_process import free_port


class TestPaging:
    @pytest.mark.asyncio
    @pytest.mark.parametrize("path", ["/products", "/inventory"])
    @pytest.mark.parametrize("offset", ["9223372036854775808", "99999999999999999999999"])
    async def test_offset_past_sqlite_is_422(
        self, api: httpx.AsyncClient, cashier: dict[str, str], path: str, offset: str
    ) -> None:
        r = await api.get(path, params={"offset": offset}, headers=cashier)
        assert r.status_code == 422, r.text
        assert r.json()["fields"][0]["field"] == "offset"

    @pytest.mark.asyncio
    async def test_largest_offset_is_an_empty_page(
        self, api: httpx.AsyncClient, cashier: dict[str, str]
    ) -> None:
        r = await api.get("/products", params={"offset": str(2**63 - 1)}, headers=cashier)
        assert r.status_code == 200, r.text
        assert r.json()["items"] == []

    @pytest.mark.asyncio
    async def test_nul_in_a_query_is_422(
        self, api: httpx.AsyncClient, cashier: dict[str, str]
    ) -> None:
        r = await api.get("/products", params={"q": "ar\x00roz"}, headers=cashier)
        assert r.status_code == 422
        assert r.json()["message"] == "q: must not contain NUL characters"


class TestHostHeader:
    @pytest.mark.parametrize(
        ("header", "name"),
        [("127.0.0.1:8765", "127.0.0.1"), ("[::1]:8765", "::1"), ("LocalHost", "localhost")],
    )
    def test_host_name(self, header: str, name: str) -> None:
        assert host_name(header) == name

    def test_a_wildcard_bind_adds_no_name(self) -> None:
        assert allowed_hosts("0.0.0.0") == {"127.0.0.1", "localhost", "::1"}
        assert "caja1.local" in allowed_hosts("caja1.local")

    @pytest.mark.asyncio
    @pytest.mark.parametrize("host", ["127.0.0.1", "localhost:8765", "[::1]:8765"])
    async def test_loopback_names_are_served(
        self, api: httpx.AsyncClient, caja: Caja, host: str
    ) -> None:
        r = await api.get("/status", headers={"Host": host})
        assert r.status_code == 200
        assert r.json()["sede"]["sede_id"] == caja.sede["sede_id"]

    @pytest.mark.asyncio
    @pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.io"])
    async def test_another_host_reads_nothing(self, api: httpx.AsyncClient, host: str) -> None:
        r = await api.get("/status", headers={"Host": host})
        assert r.status_code == 421
        body = r.json()
        assert body["error"] == "misdirected_request"
        assert "127.0.0.1" in body["message"]
        assert "sede" not in body


@pytest.fixture
def caja_run(tmp_path: Path) -> Iterator[str]:
    """`stocky edge run` (screens and local API) on a free port, not activated yet."""
    port = free_port()
    args = ["edge", "run", "--data-dir", str(tmp_path / "c"), "--port", str(port), "--no-browser"]
    with (tmp_path / "caja.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stocky", *args],
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/login", timeout=1).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, (tmp_path / "caja.log").read_text()
            assert time.monotonic() < deadline, "the caja did not start"
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def test_the_whole_caja_app_checks_the_host(caja_run: str) -> None:
    port = caja_run.rsplit(":", 1)[1]
    for path in ("/", "/login", "/local/api/status", "/_nicegui/auto/static/x.js"):
        r = httpx.get(f"{caja_run}{path}", headers={"Host": f"rebind.example:{port}"})
        assert r.status_code == 421, (path, r.status_code)
        assert r.json()["error"] == "misdirected_request"
    assert httpx.get(f"{caja_run}/login", headers={"Host": f"localhost:{port}"}).status_code == 200
    # Not activated yet: the local API itself answers (503), past the host check.
    assert httpx.get(f"{caja_run}/local/api/status").status_code == 503
