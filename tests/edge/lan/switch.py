"""A LAN switch the test controls: plain TCP forwarding between cajas on loopback, so a
test can partition the sede and heal it while every caja keeps the same static peer list.

Caja i reaches caja j only through its own port P(i->j), which forwards to j's real LAN
port (TLS passes through untouched). `cut(a, b)` parts the two groups, in one of two ways:

- "refuse": every connection between them is reset and new ones are refused, as when a
  caja's port goes down (each end learns at once);
- "drop": nothing is delivered and nothing is said, as when a cable is pulled between two
  switches: connections stay open but carry nothing, new ones are accepted and go nowhere,
  so each end only learns by its own timeouts.

`heal()` lets traffic through again; connections that lost bytes to a drop are reset then
(their TLS streams are broken; a real TCP would have been given up on by then). The switch
runs its own event loop in a background thread, so a synchronous test can call it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Coroutine, Iterable
from typing import Any, Literal

HOST = "127.0.0.1"  # loopback only: the switch never listens anywhere else
CHUNK = 64 * 1024

Pair = frozenset[int]
Mode = Literal["refuse", "drop"]


class LanSwitch:
    """Cajas numbered 1..n, as their LAN ports are listed."""

    def __init__(self, lan_ports: list[int]) -> None:
        self.lan_ports = dict(enumerate(lan_ports, start=1))
        self._ports: dict[tuple[int, int], int] = {}
        self._blocked: dict[Pair, Mode] = {}
        self._links: dict[Pair, set[asyncio.StreamWriter]] = {}
        self._servers: list[asyncio.Server] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="lan-switch")

    # The test's side (any thread) ---------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._call(self._listen())

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def peer_ports(self, caja: int) -> list[int]:
        """The ports caja `caja` should list as its peers: one per other caja."""
        return [self._ports[(caja, other)] for other in self.lan_ports if other != caja]

    def cut(self, a: Iterable[int], b: Iterable[int], mode: Mode = "refuse") -> None:
        pairs = {frozenset((i, j)) for i in a for j in b if i != j}
        self._call(self._cut(pairs, mode))

    def heal(self) -> None:
        self._call(self._heal())

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    # The switch's loop ----------------------------------------------------------------------

    async def _listen(self) -> None:
        for src in self.lan_ports:
            for dst in self.lan_ports:
                if src == dst:
                    continue
                forward = functools.partial(self._forward, src, dst)
                server = await asyncio.start_server(forward, HOST, 0)
                self._servers.append(server)
                self._ports[(src, dst)] = int(server.sockets[0].getsockname()[1])

    async def _close(self) -> None:
        for server in self._servers:
            server.close()
        for writers in self._links.values():
            for writer in writers:
                writer.transport.abort()
        self._links.clear()

    async def _cut(self, pairs: set[Pair], mode: Mode) -> None:
        for pair in pairs:
            self._blocked[pair] = mode
            if mode == "refuse":
                self._reset(pair)

    async def _heal(self) -> None:
        blocked, self._blocked = self._blocked, {}
        for pair, mode in blocked.items():
            if mode == "drop":
                self._reset(pair)

    def _reset(self, pair: Pair) -> None:
        for writer in self._links.pop(pair, set()):
            writer.transport.abort()

    async def _forward(
        self, src: int, dst: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        pair: Pair = frozenset((src, dst))
        links = self._links.setdefault(pair, set())
        links.add(writer)
        try:
            mode = self._blocked.get(pair)
            if mode == "refuse":
                return
            if mode == "drop":
                await self._swallow(reader)
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(HOST, self.lan_ports[dst])
            except OSError:
                return
            links.add(up_writer)
            try:
                if self._blocked.get(pair) == "refuse":  # cut while this one was opening
                    return
                await asyncio.gather(
                    self._pump(pair, reader, up_writer), self._pump(pair, up_reader, writer)
                )
            finally:
                links.discard(up_writer)
                up_writer.transport.abort()
        finally:
            links.discard(writer)
            writer.transport.abort()

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(OSError):
            while await reader.read(CHUNK):
                pass

    async def _pump(
        self, pair: Pair, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(OSError):
            while data := await reader.read(CHUNK):
                mode = self._blocked.get(pair)
                if mode == "refuse":
                    return
                if mode == "drop":
                    continue  # lost on the wire
                writer.write(data)
                await writer.drain()
        if pair in self._blocked:
            return  # a cut cable carries no FIN either
        # One way ended: pass the end on, as a cable would carry a FIN.
        with contextlib.suppress(OSError, RuntimeError):
            if writer.can_write_eof():
                writer.write_eof()
