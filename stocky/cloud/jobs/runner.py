"""Running the jobs: a worker on the API app's services, in its own process or in-process.

The worker gets the FastAPI app as `context.additional_context["app"]`: its sessionmaker
(with the change notices every commit sends), Redis and Socket.IO gateway, so a job's
commit tells the cajas and the web admin exactly what a request's commit would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

import procrastinate
from fastapi import FastAPI

from stocky.cloud.config import Settings

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def run_worker(
    app: FastAPI,
    settings: Settings,
    *,
    install_signal_handlers: bool,
    concurrency: int | None = None,
) -> None:
    """Run jobs until stopped (SIGTERM/SIGINT with the handlers, or cancellation).

    Stopping is graceful: no new job is fetched and running ones get
    `worker_shutdown_timeout_s` to finish. A worker killed outright stops sending its
    heartbeat; after `worker_stalled_after_s` another worker's `jobs.retry_stalled`
    puts its jobs back in the queue (the jobs are idempotent, so a re-run is safe).
    """
    jobs: procrastinate.App = app.state.jobs
    async with jobs.open_async():
        await jobs.run_worker_async(
            name=worker_name(),
            concurrency=concurrency or settings.worker_concurrency,
            install_signal_handlers=install_signal_handlers,
            update_heartbeat_interval=settings.worker_heartbeat_s,
            stalled_worker_timeout=settings.worker_stalled_after_s,
            shutdown_graceful_timeout=settings.worker_shutdown_timeout_s,
            additional_context={"app": app},
            delete_jobs="successful",
        )


class InProcessWorker:
    """`stocky cloud serve --with-worker`: the same worker as a task of the API's loop."""

    def __init__(self, app: FastAPI, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="jobs-worker")

    async def _run(self) -> None:
        try:
            await run_worker(self.app, self.settings, install_signal_handlers=False)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the in-process job worker stopped")

    async def stop(self) -> None:
        # Cancelling run_worker_async is procrastinate's graceful stop: it waits for the
        # running jobs (up to the shutdown timeout) before returning.
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
