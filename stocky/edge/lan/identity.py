"""This caja's LAN identity: its own key, the certificate the tenant's CA issued for it, and
the CA's certificate (the only trust root on the LAN).

The key is made here and never leaves the caja: the cloud gets a CSR and answers a
certificate whose subject it writes itself (CN=device, O=tenant, OU=sede). The files live
in `<data_dir>/lan/` (key.pem 0600, cert.pem, ca.pem) and are reused until they stop
naming this caja (re-activated elsewhere) or come within 30 days of expiring.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from stocky.core.lan import CertificateRequest
from stocky.edge.lan.tls import PeerCertificateError, certificate_peer_id
from stocky.edge.store import Store
from stocky.edge.store.sede import load_sede_info
from stocky.edge.sync.client import CloudClient, CloudError

log = logging.getLogger(__name__)

RENEW_BEFORE = timedelta(days=30)
KEY_FILE, CERT_FILE, CA_FILE = "key.pem", "cert.pem", "ca.pem"


@dataclass(frozen=True, slots=True)
class LanIdentity:
    device_id: str
    sede_id: str
    tenant_id: str
    cert_path: Path
    key_path: Path
    ca_path: Path


def lan_dir(data_dir: Path | str) -> Path:
    return Path(data_dir) / "lan"


def load_identity(data_dir: Path | str, *, now: datetime | None = None) -> LanIdentity | None:
    """The identity on disk, or None when a file is missing, unreadable, or the certificate
    has expired or does not match the key. Whose it is is the caller's question."""
    folder = lan_dir(data_dir)
    paths = folder / CERT_FILE, folder / KEY_FILE, folder / CA_FILE
    try:
        cert_pem, key_pem, ca_pem = (p.read_bytes() for p in paths)
        certificate = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=None)
        x509.load_pem_x509_certificate(ca_pem)
        peer = certificate_peer_id(certificate)
    except (OSError, ValueError, PeerCertificateError):
        return None
    if key.public_key() != certificate.public_key():
        return None
    if certificate.not_valid_after_utc <= (now or datetime.now(UTC)):
        return None
    return LanIdentity(
        device_id=peer.device_id,
        sede_id=peer.sede_id,
        tenant_id=peer.tenant_id,
        cert_path=paths[0],
        key_path=paths[1],
        ca_path=paths[2],
    )


def _expires_soon(identity: LanIdentity, now: datetime) -> bool:
    certificate = x509.load_pem_x509_certificate(identity.cert_path.read_bytes())
    return certificate.not_valid_after_utc - now < RENEW_BEFORE


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Whole file or the old one: a crash mid-write never leaves half a key."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def make_key_and_csr(device_id: str) -> tuple[bytes, str]:
    """A fresh EC P-256 key (PEM, unencrypted: the file's mode protects it, as the device
    credential in the store) and its CSR. The CSR's subject is a courtesy: the cloud
    writes its own."""
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, device_id)]))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, csr.public_bytes(serialization.Encoding.PEM).decode("ascii")


def save_identity(data_dir: Path | str, key_pem: bytes, cert_pem: str, ca_pem: str) -> None:
    folder = lan_dir(data_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The CA and the key before the certificate: load_identity checks the pair, so a crash
    # between files leaves a mismatch that is simply renewed, never a half-trusted state.
    _write_atomically(folder / CA_FILE, ca_pem.encode("ascii"), 0o644)
    _write_atomically(folder / KEY_FILE, key_pem, 0o600)
    _write_atomically(folder / CERT_FILE, cert_pem.encode("ascii"), 0o644)


async def ensure_identity(
    data_dir: Path | str, store: Store, client: CloudClient
) -> LanIdentity | None:
    """This caja's identity, asking the cloud for a certificate when there is none fit to
    use. None when the caja is not activated, or the cloud is unreachable (or refuses) and
    no usable files exist: the caller retries later. A certificate that expires soon but
    still works is kept when the cloud cannot renew it."""
    sede = store.read(load_sede_info)
    if sede is None:
        return None
    now = datetime.now(UTC)
    current = load_identity(data_dir, now=now)
    ours = current is not None and (current.device_id, current.sede_id, current.tenant_id) == (
        sede.device_id,
        sede.sede_id,
        sede.tenant_id,
    )
    if current is not None and ours and not _expires_soon(current, now):
        return current
    key_pem, csr_pem = make_key_and_csr(sede.device_id)
    try:
        answer = await client.lan_certificate(CertificateRequest(csr_pem=csr_pem))
    except CloudError as exc:
        log.info("LAN certificate not issued: %s", exc)
        return current if ours else None
    if (str(answer.device_id), str(answer.sede_id), str(answer.tenant_id)) != (
        sede.device_id,
        sede.sede_id,
        sede.tenant_id,
    ):
        log.warning("the cloud's LAN certificate names another caja: not used")
        return current if ours else None
    save_identity(data_dir, key_pem, answer.certificate_pem, answer.ca_pem)
    fresh = load_identity(data_dir, now=now)
    if fresh is None or fresh.device_id != sede.device_id:
        log.warning("the cloud's LAN certificate does not fit this caja's key: not used")
        return None
    return fresh
