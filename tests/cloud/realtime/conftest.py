"""Real cloud servers (uvicorn in a thread; two `stocky cloud serve` processes) and a
Socket.IO test listener."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio
import socketio
import uvicorn
from fastapi import FastAPI

from stocky.cloud.app import create_app
from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.config import Settings
from stocky.cloud.db import SessionMaker
from stocky.cloud.embedded import Services
from tests.cloud.realtime.world import RealtimeWorld, build_world
from tests.fixtures.database import APP_PASSWORD, DatabaseUrls
from tests.fixtures.live import _free_port

T = TypeVar("T")


@dataclass
class Live:
    url: str
    app: FastAPI
    server: _ThreadServer

    async def in_server(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the server's own event loop and wait for it here.

        The app's engine, Redis client and Socket.IO manager belong to the server's loop
        (uvloop, in its thread); touching them from the test's loop is a cross-thread use
        uvloop does not survive (seen: a segfault in CI). A test that needs the app's own
        sessions, with their commit hooks, runs them there instead.
        """
        loop = self.server.loop
        assert loop is not None, "the server has not started its loop"
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(work, loop))


class _ThreadServer(uvicorn.Server):
    """A uvicorn server that remembers the event loop it serves on."""

    loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().serve(sockets)


@pytest.fixture
def live_overrides() -> dict[str, Any]:
    """Settings a test module wants for its server (presence timing, for instance)."""
    return {}


@pytest.fixture
def live_with_worker() -> bool:
    """Whether the server also runs the jobs (the presence sweep is one)."""
    return False


@pytest.fixture
def live(
    settings: Settings,
    database: DatabaseUrls,
    live_overrides: dict[str, Any],
    live_with_worker: bool,
) -> Iterator[Live]:
    port = _free_port()
    live_settings = settings.model_copy(update={"port": port, **live_overrides})
    services = Services(database.owner_url, database.app_url, str(settings.redis_url))
    app = create_app(live_settings, services, with_worker=live_with_worker)
    server = _ThreadServer(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "server thread died"
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield Live(f"http://127.0.0.1:{port}", app, server)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Listener:
    """A python-socketio client that queues every event it hears."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self.sio.on("*", self._any)
        self.sio.on("connect_error", self._refused)
        self.sio.on("disconnect", self._disconnected)
        self.refusal: Any = None
        self.gone = asyncio.Event()  # set when the server (or the link) ends the socket

    async def _disconnected(self, *args: Any) -> None:
        self.gone.set()

    async def _refused(self, data: Any = None) -> None:
        self.refusal = data

    async def _any(self, event: str, data: Any = None) -> None:
        await self.events.put((event, data))

    async def connect(self, url: str, token: str | None) -> None:
        auth = {"token": token} if token is not None else None
        try:
            # Generous: on a loaded CI machine the handshake (credential check, presence
            # write) once took over 5 s; a refusal still arrives at once.
            await self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=20)
        except socketio.exceptions.ConnectionError as exc:
            # The server's reason arrives as connect_error data; keep it in the error.
            raise socketio.exceptions.ConnectionError(f"{exc}: {self.refusal}") from exc

    async def next(self, name: str, timeout: float = 5.0) -> Any:
        """The data of the next `name` event (others are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                event, data = await self.events.get()
                if event == name:
                    return data

    async def nothing(self, name: str, wait: float = 0.5) -> None:
        with pytest.raises(TimeoutError):
            await self.next(name, timeout=wait)

    async def close(self) -> None:
        await self.sio.disconnect()


def bearer(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _serve(
    data_dir: Path, database: DatabaseUrls, redis_url: str, port: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "STOCKY_DATA_DIR": str(data_dir),
        "STOCKY_DATABASE_URL": database.owner_url,
        "STOCKY_APP_DATABASE_URL": database.app_url,
        "STOCKY_APP_DB_PASSWORD": APP_PASSWORD,
        "STOCKY_REDIS_URL": redis_url,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "stocky", "cloud", "serve", "--no-migrate", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(
                f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not start")


@pytest.fixture
def two_servers(settings: Settings, database: DatabaseUrls) -> Iterator[tuple[str, str]]:
    """Two API processes over one PostgreSQL and one Redis, sharing `settings`' key ring."""
    data_dir = settings.data_dir
    # One key ring for both, created before they start (they would race to create it).
    KeyRing.load_or_create(data_dir / "keys")
    ports = [_free_port(), _free_port()]
    procs = [_serve(data_dir, database, str(settings.redis_url), p) for p in ports]
    try:
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for url, proc in zip(urls, procs, strict=True):
            _wait_healthy(url, proc)
        yield urls[0], urls[1]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            if proc.stderr is not None:
                proc.stderr.close()


@pytest_asyncio.fixture
async def world(live: Live, app_sessionmaker: SessionMaker) -> RealtimeWorld:
    """A tenant with two sedes, users of each role and a caja, on the live server."""
    return await build_world(live.app, app_sessionmaker)


@pytest_asyncio.fixture
async def listeners() -> AsyncIterator[Callable[[], Listener]]:
    """Make Socket.IO listeners; each is closed when the test ends."""
    made: list[Listener] = []

    def make() -> Listener:
        made.append(Listener())
        return made[-1]

    yield make
    for listener in made:
        await listener.close()
