"""Mutual TLS WebSockets between cajas, with certificates of a throwaway tenant CA (the
same subject layout the cloud writes). Real sockets on 127.0.0.1, OS-chosen ports."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import ssl
import uuid
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import WebSocketException

from stocky.edge.lan.authorize import may_join
from stocky.edge.lan.identity import LanIdentity
from stocky.edge.lan.tls import PeerId, client_context
from stocky.edge.lan.transport import (
    LanClosedError,
    LanRefusedError,
    LanServer,
    PeerConnection,
    connect,
    decode,
    encode,
)
from tests.edge.lan.certs import ThrowawayCA

pytestmark = pytest.mark.asyncio

DEADLINE_S = 30.0


def devices_db(*rows: tuple[str, str]) -> sqlite3.Connection:
    """sede_devices as the devices feed writes it: (device_id, status) rows."""
    conn = sqlite3.connect(":memory:", check_same_thread=False)
    conn.execute(
        "CREATE TABLE sede_devices (device_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
        " caja_number INTEGER, lan_rank INTEGER NOT NULL, status TEXT NOT NULL,"
        " revoked_at TEXT, updated_at TEXT NOT NULL)"
    )
    for n, (device_id, status) in enumerate(rows, start=1):
        conn.execute(
            "INSERT INTO sede_devices VALUES (?, ?, ?, ?, ?, ?, '2026-01-01T00:00:00Z')",
            (
                device_id,
                f"Caja {n}",
                n,
                n,
                status,
                "2026-01-01T00:00:00Z" if status == "revoked" else None,
            ),
        )
    return conn


def authorizer(conn: sqlite3.Connection, own: LanIdentity) -> Callable[[PeerId], str | None]:
    return lambda peer: may_join(conn, own, peer)


class Echo:
    """A server handler that answers every message back, and remembers who came."""

    def __init__(self) -> None:
        self.peers: list[PeerId] = []

    async def __call__(self, conn: PeerConnection) -> None:
        self.peers.append(conn.peer)
        while True:
            message = await conn.recv()
            await conn.send({"echo": message, "peer": conn.peer.device_id})


@contextlib.asynccontextmanager
async def serving(
    identity: LanIdentity, authorize: Callable[[PeerId], str | None], handler: Any
) -> AsyncIterator[LanServer]:
    server = LanServer(identity, "127.0.0.1", 0, authorize=authorize, handler=handler)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def sede() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def ca() -> ThrowawayCA:
    return ThrowawayCA()


def identity_in(tmp_path: Path, ca: ThrowawayCA, name: str, sede_id: str) -> LanIdentity:
    return ca.identity(tmp_path / name, sede_id=sede_id)


async def test_same_sede_cajas_talk_both_ways_with_exact_numbers(
    tmp_path: Path, ca: ThrowawayCA, sede: str
) -> None:
    master = identity_in(tmp_path, ca, "master", sede)
    slave = identity_in(tmp_path, ca, "slave", sede)
    db = devices_db((master.device_id, "active"), (slave.device_id, "active"))
    echo = Echo()
    async with serving(master, authorizer(db, master), echo) as server:
        assert server.port > 0
        conn = await connect(
            slave, "127.0.0.1", server.port, authorize=authorizer(db, slave), timeout=DEADLINE_S
        )
        try:
            assert conn.peer == PeerId(master.device_id, sede, ca.tenant_id)
            await conn.send({"t": "ops", "qty": Decimal("1.125"), "n": 3, "id": uuid.UUID(int=7)})
            async with asyncio.timeout(DEADLINE_S):
                answer = await conn.recv()
            assert answer["peer"] == slave.device_id
            # Decimals travel as strings (as pydantic's JSON mode writes them), UUIDs too.
            assert answer["echo"] == {
                "t": "ops",
                "qty": "1.125",
                "n": 3,
                "id": str(uuid.UUID(int=7)),
            }
            # A big page (well under the 4 MiB limit) goes through whole.
            big = {"t": "page", "rows": ["x" * 1000] * 2000}
            await conn.send(big)
            async with asyncio.timeout(DEADLINE_S):
                assert (await conn.recv())["echo"] == big
        finally:
            await conn.close()
        assert conn.closed
        assert echo.peers == [PeerId(slave.device_id, sede, ca.tenant_id)]


async def test_recv_after_the_other_end_leaves_raises_lan_closed(
    tmp_path: Path, ca: ThrowawayCA, sede: str
) -> None:
    master = identity_in(tmp_path, ca, "master", sede)
    slave = identity_in(tmp_path, ca, "slave", sede)
    db = devices_db((master.device_id, "active"), (slave.device_id, "active"))

    async def hang_up(conn: PeerConnection) -> None:
        await conn.close()

    async with serving(master, authorizer(db, master), hang_up) as server:
        conn = await connect(
            slave, "127.0.0.1", server.port, authorize=authorizer(db, slave), timeout=DEADLINE_S
        )
        with pytest.raises(LanClosedError):
            async with asyncio.timeout(DEADLINE_S):
                await conn.recv()
        assert conn.closed
        with pytest.raises(LanClosedError):
            await conn.send({"t": "late"})


@pytest.mark.parametrize(
    ("status", "reason"),
    [("revoked", "is revoked"), ("moved", "not active (moved)"), ("retired", "not active")],
)
async def test_the_master_refuses_a_revoked_or_moved_caja_at_the_handshake(
    tmp_path: Path, ca: ThrowawayCA, sede: str, status: str, reason: str
) -> None:
    master = identity_in(tmp_path, ca, "master", sede)
    slave = identity_in(tmp_path, ca, "slave", sede)
    db = devices_db((master.device_id, "active"), (slave.device_id, status))
    echo = Echo()
    async with serving(master, authorizer(db, master), echo) as server:
        with pytest.raises(LanRefusedError, match="403") as refused:
            await connect(
                slave, "127.0.0.1", server.port, authorize=lambda _: None, timeout=DEADLINE_S
            )
    assert reason in str(refused.value)
    assert slave.device_id in str(refused.value)
    assert echo.peers == []


async def test_a_caja_the_feed_has_not_brought_yet_is_taken_on_its_certificate(
    tmp_path: Path, ca: ThrowawayCA, sede: str
) -> None:
    """Each caja pulled nothing of the other before the cloud went away: they still link."""
    master = identity_in(tmp_path, ca, "master", sede)
    slave = identity_in(tmp_path, ca, "slave", sede)
    master_db, slave_db = devices_db((master.device_id, "active")), devices_db()
    echo = Echo()
    async with serving(master, authorizer(master_db, master), echo) as server:
        conn = await connect(
            slave,
            "127.0.0.1",
            server.port,
            authorize=authorizer(slave_db, slave),
            timeout=DEADLINE_S,
        )
        await conn.close()
    assert echo.peers == [PeerId(slave.device_id, sede, ca.tenant_id)]


async def test_the_master_refuses_a_caja_of_another_sede(
    tmp_path: Path, ca: ThrowawayCA, sede: str
) -> None:
    master = identity_in(tmp_path, ca, "master", sede)
    other_sede = str(uuid.uuid4())
    stranger = identity_in(tmp_path, ca, "stranger", other_sede)
    # Even listed in sede_devices (a stale row), its certificate says another sede.
    db = devices_db((master.device_id, "active"), (stranger.device_id, "active"))
    echo = Echo()
    async with serving(master, authorizer(db, master), echo) as server:
        with pytest.raises(LanRefusedError, match="another sede") as refused:
            await connect(
                stranger, "127.0.0.1", server.port, authorize=lambda _: None, timeout=DEADLINE_S
            )
    assert stranger.device_id in str(refused.value)
    assert echo.peers == []


async def test_a_slave_refuses_a_master_of_another_sede(
    tmp_path: Path, ca: ThrowawayCA, sede: str
) -> None:
    slave = identity_in(tmp_path, ca, "slave", sede)
    foreign_master = identity_in(tmp_path, ca, "master", str(uuid.uuid4()))
    db = devices_db((slave.device_id, "active"), (foreign_master.device_id, "active"))
    echo = Echo()
    async with serving(foreign_master, lambda _: None, echo) as server:
        with pytest.raises(LanRefusedError, match="another sede"):
            await connect(
                slave, "127.0.0.1", server.port, authorize=authorizer(db, slave), timeout=DEADLINE_S
            )


async def test_a_caja_of_another_tenant_fails_tls(
    tmp_path: Path, ca: ThrowawayCA, sede: str
) -> None:
    master = identity_in(tmp_path, ca, "master", sede)
    other_ca = ThrowawayCA()
    # Same device and sede ids, even: only the CA differs.
    intruder = other_ca.identity(tmp_path / "intruder", sede_id=sede)
    db = devices_db((master.device_id, "active"), (intruder.device_id, "active"))
    echo = Echo()
    async with serving(master, authorizer(db, master), echo) as server:
        with pytest.raises(LanRefusedError):
            await connect(
                intruder, "127.0.0.1", server.port, authorize=lambda _: None, timeout=DEADLINE_S
            )
        # Nor does this tenant's caja accept a server with the other tenant's certificate.
        async with serving(intruder, lambda _: None, echo) as fake:
            slave = identity_in(tmp_path, ca, "slave", sede)
            with pytest.raises(LanRefusedError, match=r"TLS|certificate"):
                await connect(
                    slave, "127.0.0.1", fake.port, authorize=lambda _: None, timeout=DEADLINE_S
                )
    assert echo.peers == []


async def refused(uri: str, context: ssl.SSLContext | None) -> bool:
    """True when the server ends the attempt (TLS 1.3: a refused client certificate may
    only show at the first read), False when it lets the client in."""
    try:
        async with asyncio.timeout(DEADLINE_S):
            ws = await ws_connect(uri, ssl=context, proxy=None, open_timeout=DEADLINE_S)
            await ws.send("{}")
            await ws.recv()
    except TimeoutError:
        return False
    except (OSError, WebSocketException):
        return True
    return False


async def test_a_client_without_a_certificate_fails_tls(
    tmp_path: Path, ca: ThrowawayCA, sede: str
) -> None:
    master = identity_in(tmp_path, ca, "master", sede)
    slave = identity_in(tmp_path, ca, "slave", sede)
    db = devices_db((master.device_id, "active"), (slave.device_id, "active"))
    echo = Echo()
    # A laptop on the shop's Wi-Fi that even trusts the tenant's CA, but has no certificate.
    laptop = ssl.create_default_context(cafile=str(master.ca_path))
    laptop.check_hostname = False
    async with serving(master, authorizer(db, master), echo) as server:
        assert await refused(f"wss://127.0.0.1:{server.port}/lan", laptop)
        # And nothing in clear text either.
        assert await refused(f"ws://127.0.0.1:{server.port}/lan", None)
        # The control: the same client with a caja's certificate gets in.
        assert not await refused(f"wss://127.0.0.1:{server.port}/lan", client_context(slave))
    assert echo.peers == [PeerId(slave.device_id, sede, ca.tenant_id)]


async def test_a_caja_refuses_itself(tmp_path: Path, ca: ThrowawayCA, sede: str) -> None:
    master = identity_in(tmp_path, ca, "master", sede)
    db = devices_db((master.device_id, "active"))
    echo = Echo()
    async with serving(master, authorizer(db, master), echo) as server:
        with pytest.raises(LanRefusedError, match="this caja itself"):
            await connect(
                master, "127.0.0.1", server.port, authorize=lambda _: None, timeout=DEADLINE_S
            )


async def test_numbers_with_a_fraction_decode_exactly() -> None:
    message = decode('{"t": "op", "qty": 0.1, "n": 2}')
    assert message == {"t": "op", "qty": Decimal("0.1"), "n": 2}
    assert isinstance(message["qty"], Decimal)
    assert decode(encode({"qty": Decimal("1.125")})) == {"qty": "1.125"}
    with pytest.raises(ValueError, match="JSON object"):
        decode("[1, 2]")
