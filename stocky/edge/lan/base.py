"""What the LAN node's parts share: the caja's place on its sede's LAN (role, epoch, master,
written to sync_state for the status screens), who may talk to it, and how it greets and
writes to a peer. The master's and the slave's duties (stocky.edge.lan.master, .slave) and
the election (stocky.edge.lan.node) build on it."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
from collections.abc import Callable
from typing import Any

from stocky.edge.config import EdgeSettings
from stocky.edge.lan import protocol as p
from stocky.edge.lan.authorize import may_join
from stocky.edge.lan.discovery import MdnsPeers, StaticPeers
from stocky.edge.lan.election import PeerView
from stocky.edge.lan.identity import LanIdentity
from stocky.edge.lan.peers import rank_of
from stocky.edge.lan.tls import PeerId
from stocky.edge.lan.transport import LanClosedError, LanServer, PeerConnection
from stocky.edge.store import Store
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.state import set_state

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 1.5


class NodeBase:
    """The node's state and the helpers both roles use."""

    def __init__(
        self,
        store: Store,
        settings: EdgeSettings,
        cloud: CloudClient,
        *,
        sede_id: str,
        device_id: str,
        pull_now: Callable[[], None],
    ) -> None:
        self.store = store
        self.settings = settings
        self.cloud = cloud
        self.sede_id = sede_id
        self.device_id = device_id
        self.pull_now = pull_now
        self.role: p.Role = "standalone"
        self.current_epoch = 0
        self.master_device_id: str | None = None
        self.identity: LanIdentity | None = None
        self._server: LanServer | None = None
        self._discovery: StaticPeers | MdnsPeers | None = None
        self._link: PeerConnection | None = None
        self._link_tasks: list[asyncio.Task[None]] = []
        self._last_heard = 0.0
        self._slaves: dict[str, PeerConnection] = {}
        self._requests: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._relay_wake = asyncio.Event()
        self._broadcast_wake = asyncio.Event()
        self._broadcast_seq = 0
        # Relayed ops the master broadcast as they arrived, before its own write: the
        # outbox's broadcast loop skips them once.
        self._broadcast_early: set[str] = set()
        self._lease_due = 0.0
        self._rivals_due = 0.0
        self._startup_grace_until = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._broadcaster: asyncio.Task[None] | None = None
        self._proxies: set[asyncio.Task[None]] = set()

    def _authorize(self, peer: PeerId) -> str | None:
        assert self.identity is not None
        identity = self.identity
        return self.store.read(lambda conn: may_join(conn, identity, peer))

    async def _set_role(
        self, role: p.Role, *, epoch: int | None = None, master: str | None = None
    ) -> None:
        changed = (role, epoch, master) != (self.role, self.current_epoch, self.master_device_id)
        self.role = role
        if epoch is not None:
            self.current_epoch = epoch
        self.master_device_id = (
            master if role == "slave" else (self.device_id if role == "master" else None)
        )
        if changed:
            log.info("LAN: %s at epoch %d (master %s)", role, self.current_epoch, master)
        await self.store.awrite(
            functools.partial(
                set_state,
                lan_role=role,
                lan_epoch=self.current_epoch,
                lan_master_device_id=self.master_device_id,
            ),
            durable=False,
        )

    def _me(self) -> PeerView:
        return PeerView(
            self.device_id,
            self.store.read(functools.partial(rank_of, device_id=self.device_id))
            if self.settings.lan_rank is None
            else self.settings.lan_rank,
            self.role,
            self.current_epoch,
            None,
            self.master_device_id,
        )

    def _hello(self, kind: str, *, join: bool = False) -> dict[str, Any]:
        me = self._me()
        return p.message(
            kind,
            self.current_epoch,
            device_id=me.device_id,
            rank=me.rank,
            role=me.role,
            master_device_id=self.master_device_id,
            join=join,
        )

    async def _send(self, conn: PeerConnection, msg: dict[str, Any]) -> None:
        with contextlib.suppress(LanClosedError, OSError):
            await conn.send(msg)
