"""The official JavaScript client (npm socket.io-client, tests/js) against the gateway."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cloud.realtime.conftest import Live, bearer
from tests.cloud.realtime.world import RealtimeWorld, push_entry

pytestmark = pytest.mark.asyncio

JS_DIR = Path(__file__).resolve().parents[2] / "js"
NODE = shutil.which("node")


def _require_client() -> str:
    if NODE is None:
        pytest.skip("node is not installed: the JavaScript client test needs it")
    if not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        npm = shutil.which("npm")
        assert npm, "node is here but npm is not: cannot install tests/js"
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund"], cwd=JS_DIR, check=True, timeout=300
        )
    return NODE


class NodeClient:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, url: str, token: str | None) -> NodeClient:
        node = _require_client()
        args = [node, str(JS_DIR / "client.mjs"), url, token or "", "20"]
        proc = await asyncio.create_subprocess_exec(
            *args, stdout=asyncio.subprocess.PIPE, cwd=JS_DIR
        )
        return cls(proc)

    async def next_line(self, timeout: float = 10.0) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        assert line, "the node client exited"
        parsed: dict[str, Any] = json.loads(line)
        return parsed

    async def close(self) -> None:
        if self.proc.returncode is None:
            self.proc.kill()
        await self.proc.wait()


async def test_js_client_with_a_user_jwt_hears_sync_changes(
    live: Live, world: RealtimeWorld
) -> None:
    client = await NodeClient.start(live.url, bearer(world.manager))
    try:
        assert (await client.next_line())["type"] == "connect"
        pushed = await push_entry(live.url, world.caja, world.rice.id)
        line = await client.next_line()
        assert line["type"] == "event"
        assert line["name"] == "sync.changes"
        assert line["data"] == {
            "sede_id": str(world.centro),
            "position": pushed.json()["results"][0]["position"],
        }
    finally:
        await client.close()


async def test_js_client_without_a_token_is_refused(live: Live, world: RealtimeWorld) -> None:
    client = await NodeClient.start(live.url, None)
    try:
        line = await client.next_line()
        assert line["type"] == "connect_error"
        assert "auth.token" in line["message"]
    finally:
        await client.close()
