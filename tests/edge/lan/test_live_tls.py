"""Mutual TLS with certificates the live cloud issued (POST /api/sync/lan/certificate):
cajas of one sede talk; a caja of another sede, of another tenant, a revoked caja and a
client with no certificate are refused, each where it should be."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import WebSocketException

from stocky.edge.activation.service import activate
from stocky.edge.lan.authorize import may_join
from stocky.edge.lan.identity import LanIdentity, ensure_identity
from stocky.edge.lan.tls import PeerId
from stocky.edge.lan.transport import LanRefusedError, LanServer, PeerConnection, connect
from stocky.edge.store import Store
from stocky.edge.sync.client import CloudClient
from stocky.edge.sync.pull import PullWorker
from tests.edge.sync.live_shop import open_store
from tests.fixtures.cloud_admin import CloudAdmin

pytestmark = pytest.mark.skipif(
    not hasattr(CloudClient, "lan_certificate"), reason="the cloud's LAN certificates not built"
)

DEADLINE_S = 30.0


def _credential(store: Store) -> tuple[str, str]:
    row = store.read(
        lambda c: c.execute("SELECT device_credential, sede_id FROM sede_info").fetchone()
    )
    return str(row[0]), str(row[1])


async def _identity(url: str, data_dir: Path, store: Store) -> LanIdentity:
    client = CloudClient(url, _credential(store)[0])
    try:
        identity = await ensure_identity(data_dir, store, client)
    finally:
        await client.aclose()
    assert identity is not None
    return identity


async def _pull(url: str, store: Store) -> None:
    credential, sede_id = _credential(store)
    client = CloudClient(url, credential)
    try:
        outcome = await PullWorker(store, client, sede_id=sede_id).run_once()
    finally:
        await client.aclose()
    assert not outcome.failed


def _authorize(store: Store, identity: LanIdentity) -> Callable[[PeerId], str | None]:
    return lambda peer: store.read(lambda c: may_join(c, identity, peer))


async def _shut_out(uri: str, context: ssl.SSLContext) -> bool:
    """True when the server ends the attempt (TLS 1.3 may say so only at the first read)."""
    try:
        async with asyncio.timeout(DEADLINE_S):
            ws: Any = await ws_connect(uri, ssl=context, proxy=None)
            await ws.send("{}")
            await ws.recv()
    except (OSError, WebSocketException):
        return True
    return False


class Echo:
    def __init__(self) -> None:
        self.peers: list[PeerId] = []

    async def __call__(self, conn: PeerConnection) -> None:
        self.peers.append(conn.peer)
        while True:
            await conn.send({"echo": await conn.recv()})


@pytest.mark.asyncio
async def test_cloud_certificates_let_a_sede_s_cajas_in_and_nobody_else(
    live_cloud: str, tmp_path: Path
) -> None:
    admin = CloudAdmin.signup(live_cloud)
    centro, norte = admin.sede("Centro"), admin.sede("Norte")
    other_tenant = CloudAdmin.signup(live_cloud, email="otro@example.com")
    elsewhere = other_tenant.sede("Centro")
    plan = {"c1": (admin, centro), "c2": (admin, centro), "c3": (admin, centro)}
    plan |= {"n1": (admin, norte), "x1": (other_tenant, elsewhere)}
    for name, (owner, sede) in plan.items():
        activate(
            cloud_url=live_cloud,
            code=owner.activation_code(sede),
            data_dir=tmp_path / name,
            device_name=f"Caja {name}",
        )
    stores = {name: open_store(tmp_path / name) for name in plan}
    server: LanServer | None = None
    try:
        ids = {name: await _identity(live_cloud, tmp_path / name, s) for name, s in stores.items()}
        master = ids["c1"]
        # The cloud wrote the subject: this caja's device, sede and tenant.
        certificate = x509.load_pem_x509_certificate(master.cert_path.read_bytes())
        assert master.sede_id == centro
        assert certificate.issuer != certificate.subject
        await _pull(live_cloud, stores["c1"])  # the master learns its sede's cajas
        echo = Echo()
        server = LanServer(
            master, "127.0.0.1", 0, authorize=_authorize(stores["c1"], master), handler=echo
        )
        await server.start()
        port = server.port

        async def join(name: str) -> PeerConnection:
            return await connect(
                ids[name],
                "127.0.0.1",
                port,
                authorize=_authorize(stores[name], ids[name]),
                timeout=DEADLINE_S,
            )

        # Same sede: in, both ways named by device id.
        await _pull(live_cloud, stores["c2"])
        conn = await join("c2")
        assert conn.peer.device_id == master.device_id
        await conn.send({"t": "hello"})
        async with asyncio.timeout(DEADLINE_S):
            assert await conn.recv() == {"echo": {"t": "hello"}}
        await conn.close()
        assert echo.peers[-1].device_id == ids["c2"].device_id

        # Another sede of the same tenant: refused at the WebSocket handshake, with why.
        with pytest.raises(LanRefusedError, match="another sede"):
            await connect(
                ids["n1"], "127.0.0.1", port, authorize=lambda _: None, timeout=DEADLINE_S
            )
        # Another tenant: its CA is not trusted, TLS fails.
        with pytest.raises(LanRefusedError):
            await connect(
                ids["x1"], "127.0.0.1", port, authorize=lambda _: None, timeout=DEADLINE_S
            )

        # Revoked in the cloud; the master hears it by pull and refuses it from then on.
        r = httpx.post(
            f"{live_cloud}/api/devices/{ids['c3'].device_id}/revoke",
            headers=admin.headers,
            timeout=30,
        )
        assert r.status_code == 200, r.text
        await _pull(live_cloud, stores["c1"])
        with pytest.raises(LanRefusedError, match="revoked"):
            await connect(
                ids["c3"], "127.0.0.1", port, authorize=lambda _: None, timeout=DEADLINE_S
            )

        # No certificate at all, even trusting the tenant's CA.
        laptop = ssl.create_default_context(cafile=str(master.ca_path))
        laptop.check_hostname = False
        assert await _shut_out(f"wss://127.0.0.1:{port}/lan", laptop)
        assert {p.device_id for p in echo.peers} == {ids["c2"].device_id}
    finally:
        if server is not None:
            await server.stop()
        for store in stores.values():
            store.close()
