"""Where the sede's other cajas are: a static list from settings, or mDNS.

mDNS (python-zeroconf): every caja announces `<device_id>._stocky._tcp.local.` with its
device and sede in TXT, on ONE chosen interface (a shop's PC may also sit on a VPN or a
second network the LAN must not reach), and browses for the others of its sede. Discovery
only proposes addresses: who answers there is proven by its certificate at the handshake
(stocky.edge.lan.transport), so a forged announcement gains nothing but a refused probe.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterable

from zeroconf import IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from stocky.edge.lan.identity import LanIdentity

log = logging.getLogger(__name__)

SERVICE_TYPE = "_stocky._tcp.local."
RESOLVE_TIMEOUT_MS = 3000
Address = tuple[str, int]


class StaticPeers:
    """The addresses settings list (STOCKY_EDGE_LAN_PEERS). The list may name this caja
    too (one setting for every caja of the shop): probing itself is refused by device id,
    and `exclude` drops an address known to be this caja's own."""

    def __init__(self, peers: Iterable[Address], *, exclude: Iterable[Address] = ()) -> None:
        skip = set(exclude)
        self._peers = [(str(host), int(port)) for host, port in peers if (host, port) not in skip]

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def addresses(self) -> list[Address]:
        return list(self._peers)


def default_interface_ip() -> str:
    """The IPv4 address this host would send multicast from (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("224.0.0.251", 5353))
            return str(probe.getsockname()[0])
        except OSError:
            return "127.0.0.1"


def _text(properties: dict[bytes, bytes | None], key: str) -> str | None:
    value = properties.get(key.encode())
    return None if value is None else value.decode("utf-8", "replace")


class MdnsPeers:
    """Announces this caja and collects its sede's others, bound to `interface_ip`
    (None: the address multicast would leave from)."""

    def __init__(self, identity: LanIdentity, port: int, interface_ip: str | None) -> None:
        self.identity = identity
        self.port = port
        self.interface_ip = interface_ip or default_interface_ip()
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._info: AsyncServiceInfo | None = None
        self._found: dict[str, Address] = {}  # service name -> address
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def service_name(self) -> str:
        return f"{self.identity.device_id}.{SERVICE_TYPE}"

    async def start(self) -> None:
        if self._zc is not None:
            return
        zc = AsyncZeroconf(interfaces=[self.interface_ip], ip_version=IPVersion.V4Only)
        self._zc = zc
        self._info = AsyncServiceInfo(
            SERVICE_TYPE,
            self.service_name,
            port=self.port,
            properties={
                "device_id": self.identity.device_id,
                "sede_id": self.identity.sede_id,
                "port": str(self.port),
            },
            server=f"stocky-{self.identity.device_id}.local.",
            parsed_addresses=[self.interface_ip],
        )
        # A restarted caja announces again under its old name: no "name taken" renaming.
        await zc.async_register_service(
            self._info, allow_name_change=False, cooperating_responders=True
        )
        self._browser = AsyncServiceBrowser(zc.zeroconf, SERVICE_TYPE, handlers=[self._on_change])

    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if name == self.service_name:
            return
        if state_change is ServiceStateChange.Removed:
            self._found.pop(name, None)
            return
        task = asyncio.ensure_future(self._resolve(zeroconf, service_type, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(zeroconf, RESOLVE_TIMEOUT_MS):
            log.debug("mDNS: %s did not resolve", name)
            return
        properties = info.properties or {}
        device_id, sede_id = _text(properties, "device_id"), _text(properties, "sede_id")
        if sede_id != self.identity.sede_id or device_id in (None, self.identity.device_id):
            return  # another sede's caja (or this one): not a peer
        addresses = info.parsed_addresses(IPVersion.V4Only)
        if not addresses or not info.port:
            return
        self._found[name] = (addresses[0], int(info.port))

    def addresses(self) -> list[Address]:
        return sorted(set(self._found.values()))

    async def stop(self) -> None:
        zc, self._zc = self._zc, None
        if zc is None:
            return
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._browser is not None:
            await self._browser.async_cancel()
            self._browser = None
        if self._info is not None:
            with contextlib.suppress(Exception):
                await zc.async_unregister_service(self._info)
        await zc.async_close()
        self._found.clear()
