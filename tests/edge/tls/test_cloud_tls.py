"""A caja against a real `stocky cloud serve --certfile --keyfile` (certificates by trustme).

With the cloud's CA in STOCKY_EDGE_CA_BUNDLE the caja activates, syncs a sale over HTTPS and
holds its Socket.IO link on the websocket transport (python-socketio has ignored custom CA
bundles on websockets before, so the transport is checked, not assumed). Without that CA,
with a certificate for another host, or with a self-signed one, it refuses the cloud with
one clear line. http:// to a cloud off this machine is refused unless
STOCKY_EDGE_ALLOW_INSECURE is set.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from stocky.cloud.config import Settings
from stocky.edge.activation.service import ActivationError, activate
from stocky.edge.cli import edge_app
from stocky.edge.config import EdgeSettings
from stocky.edge.store import Store
from stocky.edge.sync.engine import SyncEngine
from stocky.edge.sync.realtime import SedeSubscription
from stocky.edge.sync.status import caja_status
from stocky.edge.tls import InsecureCloudError, check_cloud_url, is_loopback_host, ssl_context
from tests.edge.sync.live_shop import PASSWORD, Shop, open_store, sell
from tests.fixtures.cloud_process import CloudProcess, CloudTls, new_cloud_process
from tests.fixtures.database import DatabaseUrls

WAIT_S = 60.0  # shared, loaded machines: generous readiness waits, never timed assertions


@pytest.fixture
def ca(tmp_path: Path) -> trustme.CA:
    return trustme.CA()


def _ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "cloud-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def _issued(ca: trustme.CA, tmp_path: Path, *hosts: str) -> tuple[Path, Path]:
    cert = ca.issue_cert(*hosts)
    certfile, keyfile = tmp_path / "cloud.pem", tmp_path / "cloud.key"
    cert.cert_chain_pems[0].write_to_path(str(certfile))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(certfile), append=True)
    cert.private_key_pem.write_to_path(str(keyfile))
    return certfile, keyfile


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A leaf that signs itself, for the right names: only its issuer is wrong."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = tmp_path / "self.pem", tmp_path / "self.key"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certfile, keyfile


def _tls_cloud(
    database: DatabaseUrls,
    settings: Settings,
    tmp_path: Path,
    files: tuple[Path, Path],
    probe_verify: ssl.SSLContext | bool,
) -> CloudProcess:
    cloud = new_cloud_process(
        database, settings, tmp_path, tls=CloudTls(files[0], files[1], probe_verify)
    )
    cloud.start()
    return cloud


def _seed(url: str, verify: ssl.SSLContext) -> tuple[Shop, str]:
    """Signup, a sede, a cashier and a product over HTTPS; the shop and an activation code."""
    with httpx.Client(base_url=url, verify=verify, timeout=30.0) as http:

        def post(path: str, body: dict[str, object] | None = None) -> dict[str, object]:
            r = http.post(path, json=body, headers=headers)
            assert r.status_code in (200, 201), r.text
            answer: dict[str, object] = r.json()
            return answer

        headers: dict[str, str] = {}
        signup = post(
            "/api/signup",
            {"tenant_name": "Tienda", "email": "owner@example.com", "password": PASSWORD},
        )
        tokens = signup["tokens"]
        assert isinstance(tokens, dict)
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        sede = str(post("/api/sedes", {"name": "Centro"})["id"])
        cashier = str(
            post(
                "/api/users",
                {
                    "email": "caja@example.com",
                    "name": "Cajera",
                    "password": PASSWORD,
                    "role": "cashier",
                    "sede_id": sede,
                },
            )["id"]
        )
        product = str(post("/api/products", {"sku": "ARZ", "name": "Arroz", "price": "4500"})["id"])
        code = str(post(f"/api/sedes/{sede}/activation-codes")["code"])
    return Shop(url, sede, product, cashier, headers), code


async def _until(what: str, predicate: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        assert time.monotonic() < deadline, f"waited {WAIT_S:.0f} s for: {what}"
        await asyncio.sleep(0.1)


@pytest.mark.asyncio
async def test_with_the_ca_bundle_the_caja_activates_syncs_and_uses_websocket(
    database: DatabaseUrls,
    settings: Settings,
    tmp_path: Path,
    ca: trustme.CA,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca_file = _ca_file(ca, tmp_path)
    trusted = ssl.create_default_context(cafile=str(ca_file))
    certs = _issued(ca, tmp_path, "127.0.0.1", "localhost")
    cloud = _tls_cloud(database, settings, tmp_path, certs, trusted)
    assert cloud.url.startswith("https://")
    store: Store | None = None
    engine: SyncEngine | None = None
    stranger: SedeSubscription | None = None
    try:
        shop, code = _seed(cloud.url, trusted)
        data_dir = tmp_path / "caja"

        # No bundle: the system store does not know this CA, and nothing is written.
        monkeypatch.delenv("STOCKY_EDGE_CA_BUNDLE", raising=False)
        with pytest.raises(ActivationError) as refused:
            activate(cloud_url=cloud.url, code=code, data_dir=data_dir, device_name="Caja 1")
        assert "certificate verify failed" in str(refused.value)
        assert "STOCKY_EDGE_CA_BUNDLE" in str(refused.value)
        assert "Traceback" not in str(refused.value)

        monkeypatch.setenv("STOCKY_EDGE_CA_BUNDLE", str(ca_file))
        done = activate(cloud_url=cloud.url, code=code, data_dir=data_dir, device_name="Caja 1")
        assert done.cloud_url == cloud.url

        edge = EdgeSettings(data_dir=data_dir, ca_bundle=ca_file, lan="off")
        store = open_store(data_dir)
        engine = SyncEngine.for_store(
            store, ping_seconds=0.5, poll_seconds=3600, settings=edge, timeouts=None
        )
        await engine.start()
        assert engine.subscription is not None
        await engine.subscription.wait_connected(WAIT_S)
        assert engine.subscription.transport == "websocket"

        sell(store, shop)
        live = store
        await _until("the sale synced", lambda: live.read(caja_status)["pending_ops"] == 0)
        statuses = store.read(
            lambda c: [row[0] for row in c.execute("SELECT status FROM sync_queue")]
        )
        assert len(statuses) == 1, statuses  # the sale (no shift was opened)
        assert statuses == ["synced"], statuses

        # The same credential without the CA: the websocket refuses too, no polling fallback.
        credential = store.read(
            lambda c: c.execute("SELECT device_credential FROM sede_info").fetchone()[0]
        )

        async def nothing() -> None:
            return None

        stranger = SedeSubscription(
            cloud.url,
            str(credential),
            nothing,
            tls=ssl_context(EdgeSettings(data_dir=data_dir, ca_bundle=None)),
            connect_timeout_s=5.0,
        )
        await stranger.start()
        watched = stranger
        await _until("the untrusted socket failed", lambda: watched.last_error is not None)
        assert not stranger.connected
    finally:
        if stranger is not None:
            await stranger.stop()
        if engine is not None:
            await engine.stop()
        if store is not None:
            store.close()
        cloud.kill()


@pytest.mark.parametrize("kind", ["wrong_host", "self_signed"])
def test_a_certificate_not_for_this_cloud_is_refused(
    kind: str,
    database: DatabaseUrls,
    settings: Settings,
    tmp_path: Path,
    ca: trustme.CA,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ca_file = _ca_file(ca, tmp_path)
    if kind == "wrong_host":
        files = _issued(ca, tmp_path, "nube.example.com")
        expected = "Hostname mismatch, certificate is not valid for 'localhost'"
    else:
        files = _self_signed(tmp_path)
        expected = "self-signed certificate"
    cloud = _tls_cloud(database, settings, tmp_path, files, probe_verify=False)
    try:
        monkeypatch.setenv("STOCKY_EDGE_CA_BUNDLE", str(ca_file))
        with pytest.raises(ActivationError) as refused:
            activate(
                # By name: OpenSSL says "Hostname mismatch" for a name, "IP address" for an IP.
                cloud_url=cloud.url.replace("127.0.0.1", "localhost"),
                code="ABCD-EFGH-JKMN",
                data_dir=tmp_path / "caja",
                device_name="Caja 1",
            )
    finally:
        cloud.kill()
    message = str(refused.value)
    assert "certificate verify failed" in message, message
    assert expected in message, message


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://nube.example.com", True),
        ("http://127.0.0.1:8000", True),
        ("http://127.3.4.5:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://nube.example.com", False),
        ("http://10.0.0.5:8000", False),
        ("http://localhost.example.com", False),
        ("http://[2001:db8::1]:8000", False),
    ],
)
def test_plain_http_only_to_this_machine(url: str, allowed: bool, tmp_path: Path) -> None:
    strict = EdgeSettings(data_dir=tmp_path)
    if allowed:
        assert check_cloud_url(url, strict) == url
    else:
        with pytest.raises(InsecureCloudError, match="la nube debe usar https"):
            check_cloud_url(url, strict)
    lenient = EdgeSettings(data_dir=tmp_path, allow_insecure=True)
    assert check_cloud_url(url, lenient) == url


def test_loopback_means_the_address_not_what_a_name_resolves_to() -> None:
    assert is_loopback_host("LOCALHOST.")
    assert is_loopback_host("caja.localhost")
    assert not is_loopback_host("127.0.0.1.nip.io")


def test_the_cli_refuses_http_to_a_remote_cloud(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Activation and start refuse before any connection; the setting lets them through."""
    runner = CliRunner()
    monkeypatch.delenv("STOCKY_EDGE_ALLOW_INSECURE", raising=False)
    args = ["--cloud", "http://nube.example.com", "--code", "ABCD-EFGH-JKMN"]
    result = runner.invoke(edge_app, ["activate", *args, "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "la nube debe usar https (STOCKY_EDGE_ALLOW_INSECURE=1" in result.output
    assert not (tmp_path / "caja.db").exists()

    monkeypatch.setenv("STOCKY_EDGE_CLOUD_URL", "http://nube.example.com")
    run = ["run", "--headless", "--data-dir", str(tmp_path)]
    result = runner.invoke(edge_app, run)
    assert result.exit_code == 1
    assert "la nube debe usar https" in result.output

    # Allowed: it goes on, to the next thing that is wrong (no caja here yet).
    monkeypatch.setenv("STOCKY_EDGE_ALLOW_INSECURE", "1")
    result = runner.invoke(edge_app, run)
    assert result.exit_code == 1
    assert "holds no activated caja" in result.output
    assert "la nube debe usar https" not in result.output


def test_a_bad_ca_bundle_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate\n")
    monkeypatch.setenv("STOCKY_EDGE_CA_BUNDLE", str(bogus))
    result = CliRunner().invoke(edge_app, ["run", "--headless", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "STOCKY_EDGE_CA_BUNDLE" in result.output
    assert str(bogus) in result.output
