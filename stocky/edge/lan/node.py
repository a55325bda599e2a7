"""The LAN node of one caja: master or slave among the cajas of its sede (ARCHITECTURE §5).

The master listens (mutual TLS, stocky.edge.lan.transport), holds every slave's ops in its
own outbox, shows their effect and broadcasts every op of the sede to every slave, answers
the slaves' pulls by asking the cloud, and is the only caja that pushes to the cloud. A
slave records each sale in its own SQLite first (nothing waits on the LAN), hands its
pending ops to the master, and keeps each one until the master reports the cloud's answer.
With no master in reach it pushes its own ops to the cloud itself (idempotent by op_id).

Every caja answers probes, so the sede can always see who is alive. Elections follow
stocky.edge.lan.election; the epoch is the fencing token: the cloud grants it with a lease
while it is reachable, and every message carries it, so a stale master's word is refused.

The node plugs into the sync engine twice: as the push worker's `PushLan` (may it push,
with which epoch, whom to tell about results) and as the pull worker's feed (a slave pulls
through its master).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
import uuid

from stocky.core.lan import LeaseRequest
from stocky.edge import outbox
from stocky.edge.lan import protocol as p
from stocky.edge.lan.base import PROBE_TIMEOUT_S
from stocky.edge.lan.discovery import MdnsPeers, StaticPeers
from stocky.edge.lan.election import (
    PeerView,
    first_in_line,
    master_to_join,
    next_epoch,
    yields_to,
)
from stocky.edge.lan.identity import ensure_identity
from stocky.edge.lan.master import MasterRole
from stocky.edge.lan.peers import other_cajas, ranked_ahead, record_peers, view_of
from stocky.edge.lan.slave import SlaveRole
from stocky.edge.lan.transport import LanClosedError, LanServer, PeerConnection, connect
from stocky.edge.store.timestamps import utc_now
from stocky.edge.sync.client import CloudError
from stocky.edge.sync.state import get_states

log = logging.getLogger(__name__)

# A master looks for rival masters (a healed partition) this often.
RIVAL_PROBE_S = 2.0
# How often a caja with no LAN yet checks whether its sede gained a caja.
IDLE_CHECK_S = 5.0


class LanNode(MasterRole, SlaveRole):
    """One caja's node: the election and the lease here, the roles' duties in their mixins."""

    def may_push(self) -> bool:
        return not (self.role == "slave" and self._link is not None)

    def epoch(self) -> int | None:
        return self.current_epoch if self.role == "master" else None

    async def stale(self, current_epoch: int | None) -> None:
        log.warning(
            "the cloud refused epoch %s (now %s): stepping down", self.epoch(), current_epoch
        )
        if current_epoch is not None:
            self.current_epoch = max(self.current_epoch, current_epoch)
        await self._step_down()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        state = await self.store.aread(functools.partial(get_states, keys=("lan_epoch",)))
        self.current_epoch = int(state.get("lan_epoch") or 0)
        self.store.add_commit_listener(self._on_commit)
        self._task = asyncio.create_task(self._run(), name="lan-node")
        self._broadcaster = asyncio.create_task(self._broadcast_loop(), name="lan-broadcast")

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.store.remove_commit_listener(self._on_commit)
        for task in (self._task, self._broadcaster):
            if task is not None:
                task.cancel()
        for task in (self._task, self._broadcaster):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self._drop_link()
        await self._close_slaves()
        if self._server is not None:
            await self._server.stop()
        if self._discovery is not None:
            await self._discovery.stop()

    def _on_commit(self) -> None:
        # The store's writer thread: wake the relay (a slave) or the broadcaster (a master).
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._relay_wake.set)
            loop.call_soon_threadsafe(self._broadcast_wake.set)

    def _wanted(self) -> bool:
        if self.settings.lan == "off":
            return False
        if self.settings.lan == "on" or self.settings.lan_static_peers:
            return True
        return bool(self.store.read(functools.partial(other_cajas, device_id=self.device_id)))

    async def _run(self) -> None:
        while True:
            try:
                if not await self._ready():
                    await asyncio.sleep(IDLE_CHECK_S)
                    continue
                if self.role in ("standalone", "electing"):
                    await self._elect()
                elif self.role == "master":
                    await self._master_tick()
                else:
                    await self._slave_tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("LAN node iteration failed")
                await asyncio.sleep(1.0)

    async def _ready(self) -> bool:
        """Identity, server and discovery are up (once the sede has another caja)."""
        if self._server is not None:
            return True
        if not self._wanted():
            await self._set_role("standalone")
            return False
        if self.identity is None:
            self.identity = await ensure_identity(self.settings.data_dir, self.store, self.cloud)
            if self.identity is None:
                log.info("no LAN certificate yet (the cloud is unreachable): retrying")
                return False
        server = LanServer(
            self.identity,
            self.settings.lan_host,
            self.settings.lan_port,
            authorize=self._authorize,
            handler=self._serve,
        )
        await server.start()
        self._server = server
        if self.settings.lan_static_peers:
            self._discovery = StaticPeers(self.settings.lan_static_peers)
        else:
            self._discovery = MdnsPeers(self.identity, server.port, self.settings.lan_interface)
        await self._discovery.start()
        self._startup_grace_until = time.monotonic() + self.settings.lan_master_timeout_seconds
        await self._set_role("electing")
        return True

    async def _probe(self, address: tuple[str, int]) -> PeerView | None:
        assert self.identity is not None
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                conn = await connect(
                    self.identity,
                    address[0],
                    address[1],
                    authorize=self._authorize,
                    timeout=PROBE_TIMEOUT_S,
                )
                try:
                    await conn.send(self._hello(p.HELLO))
                    answer = await conn.recv()
                finally:
                    await conn.close()
        except (TimeoutError, OSError, LanClosedError) as exc:
            log.debug("LAN probe of %s failed: %s", address, exc)
            return None
        except Exception as exc:  # a refused handshake, a bad certificate
            log.info("LAN probe of %s refused: %s", address, exc)
            return None
        return view_of(answer, address)

    async def _probe_all(self) -> list[PeerView]:
        assert self._discovery is not None
        addresses = self._discovery.addresses()
        views = await asyncio.gather(*(self._probe(a) for a in addresses))
        live = [v for v in views if v is not None and v.device_id != self.device_id]
        if live:
            await self.store.awrite(
                functools.partial(record_peers, views=live, now=utc_now()), durable=False
            )
        return live

    async def _elect(self) -> None:
        if self.role != "electing":
            await self._set_role("electing")
        live = await self._probe_all()
        master = master_to_join(live)
        if master is not None and await self._join(master):
            return
        me = self._me()
        if first_in_line(me, [v for v in live if v.role != "master"]).device_id == me.device_id:
            if time.monotonic() < self._startup_grace_until and self._better_ranked_unseen(
                me, live
            ):
                # Just started: a caja ahead in line may still be starting too (cajas
                # powered on together); give it a master timeout to answer first.
                await asyncio.sleep(self.settings.lan_heartbeat_seconds)
                return
            await self._take_over(next_epoch(self.current_epoch, live))
            return
        # The first in line is taking over: look again shortly.
        await asyncio.sleep(self.settings.lan_heartbeat_seconds)

    def _better_ranked_unseen(self, me: PeerView, live: list[PeerView]) -> bool:
        seen = {v.device_id for v in live}
        ahead = self.store.read(
            functools.partial(ranked_ahead, device_id=me.device_id, rank=me.rank)
        )
        return any(device not in seen for device in ahead)

    async def _take_over(self, epoch: int) -> None:
        try:
            lease = await self.cloud.lan_lease(
                LeaseRequest(
                    sede_id=uuid.UUID(self.sede_id),
                    device_id=uuid.UUID(self.device_id),
                    epoch=epoch,
                )
            )
        except CloudError as exc:
            # Offline: the cajas elect among themselves; the epoch still fences.
            log.info("LAN: taking over offline at epoch %d (%s)", epoch, exc)
        else:
            if not lease.granted:
                log.info("LAN: the cloud's lease is %s's (epoch %d)", lease.device_id, lease.epoch)
                self.current_epoch = max(self.current_epoch, lease.epoch)
                await asyncio.sleep(self.settings.lan_heartbeat_seconds * 2)
                return
            epoch = lease.epoch
            self._lease_due = time.monotonic() + lease.lease_seconds / 3
        self._broadcast_seq = await self.store.aread(outbox.last_seq)
        await self._set_role("master", epoch=epoch)
        self._rivals_due = time.monotonic() + RIVAL_PROBE_S

    async def _master_tick(self) -> None:
        await self._beat_slaves()
        now = time.monotonic()
        if now >= self._lease_due:
            await self._renew_lease()
        if self.role == "master" and now >= self._rivals_due:
            self._rivals_due = now + RIVAL_PROBE_S
            me = self._me()
            rival = master_to_join(await self._probe_all())
            if rival is not None and yields_to(me, rival):
                log.warning(
                    "LAN: master %s at epoch %d wins; joining it", rival.device_id, rival.epoch
                )
                await self._step_down()
                await self._join(rival)
                return
        await asyncio.sleep(self.settings.lan_heartbeat_seconds)

    async def _renew_lease(self) -> None:
        request = LeaseRequest(
            sede_id=uuid.UUID(self.sede_id),
            device_id=uuid.UUID(self.device_id),
            epoch=self.current_epoch,
        )
        try:
            lease = await self.cloud.lan_lease(request)
        except CloudError:
            self._lease_due = time.monotonic() + 2.0  # offline: keep serving the LAN
            return
        self._lease_due = time.monotonic() + lease.lease_seconds / 3
        if not lease.granted:
            await self.stale(lease.epoch)
        elif lease.epoch != self.current_epoch:
            await self._set_role("master", epoch=lease.epoch)

    async def _serve(self, conn: PeerConnection) -> None:
        """One incoming connection: a probe, or a slave that stays."""
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S * 2):
                hello = await conn.recv()
            if hello.get("t") != p.HELLO:
                return
            await conn.send(self._hello(p.WELCOME))
            if not hello.get("join") or self.role != "master":
                return
            await self._serve_slave(conn)
        except (LanClosedError, TimeoutError, OSError):
            pass
        finally:
            await conn.close()
