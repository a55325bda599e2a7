"""A live cloud that runs its jobs (the transfer job), for the caja's transfer tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from stocky.cloud.app import create_app
from stocky.cloud.config import Settings
from stocky.cloud.embedded import Services
from tests.fixtures.database import DatabaseUrls
from tests.fixtures.live import _free_port


@pytest.fixture
def jobs_cloud(settings: Settings, database: DatabaseUrls) -> Iterator[str]:
    """The base URL of a cloud served by uvicorn in a thread, with its in-process worker."""
    port = _free_port()
    live_settings = settings.model_copy(
        update={"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}"}
    )
    services = Services(database.owner_url, database.app_url, str(settings.redis_url))
    app = create_app(live_settings, services, with_worker=True)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name=f"jobs-cloud:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "the cloud server thread died"
        assert time.monotonic() < deadline, "the cloud server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
