"""A real cloud server (uvicorn in a thread) with its app, and a Socket.IO test listener."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import socketio
import uvicorn
from fastapi import FastAPI

from stocky.cloud.app import create_app
from stocky.cloud.config import Settings
from stocky.cloud.services import Services
from tests.fixtures.database import DatabaseUrls
from tests.fixtures.live import _free_port


@dataclass
class Live:
    url: str
    app: FastAPI


@pytest.fixture
def live_overrides() -> dict[str, Any]:
    """Settings a test module wants for its server (presence timing, for instance)."""
    return {}


@pytest.fixture
def live(
    settings: Settings, database: DatabaseUrls, live_overrides: dict[str, Any]
) -> Iterator[Live]:
    port = _free_port()
    live_settings = settings.model_copy(update={"port": port, **live_overrides})
    services = Services(database.owner_url, database.app_url, str(settings.redis_url))
    app = create_app(live_settings, services)
    server = uvicorn.Server(
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
        yield Live(f"http://127.0.0.1:{port}", app)
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
        self.refusal: Any = None

    async def _refused(self, data: Any = None) -> None:
        self.refusal = data

    async def _any(self, event: str, data: Any = None) -> None:
        await self.events.put((event, data))

    async def connect(self, url: str, token: str | None) -> None:
        auth = {"token": token} if token is not None else None
        try:
            await self.sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
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
