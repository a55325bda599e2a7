"""A tiny TCP proxy between one caja and the cloud: the demo's internet cable.

`cut()` drops the open connections and refuses new ones (the caja sees connection errors,
as when the shop's internet goes down); `reconnect()` lets traffic through again.
"""

from __future__ import annotations

import asyncio
import contextlib


class TcpProxy:
    def __init__(self, listen_port: int, target_host: str, target_port: int) -> None:
        self.listen_port = listen_port
        self.target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen_port}"

    @property
    def connected(self) -> bool:
        return self._server is not None

    async def reconnect(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.listen_port, reuse_address=True
            )

    async def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._pipes):
            task.cancel()
        if server is not None:
            await server.wait_closed()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            cloud_r, cloud_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        self._writers.update((client_w, cloud_w))
        pipes = [
            asyncio.create_task(_pipe(client_r, cloud_w)),
            asyncio.create_task(_pipe(cloud_r, client_w)),
        ]
        self._pipes.update(pipes)
        try:
            await asyncio.gather(*pipes, return_exceptions=True)
        except asyncio.CancelledError:
            # The demo is shutting down: this leaf task has nobody to report to.
            pass
        finally:
            self._pipes.difference_update(pipes)
            self._writers.difference_update((client_w, cloud_w))
            for writer in (client_w, cloud_w):
                writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    # One direction ended (the peer closed): pass the half-close on.
    with contextlib.suppress(OSError, RuntimeError):
        if writer.can_write_eof():
            writer.write_eof()
