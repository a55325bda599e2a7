"""A throwaway tenant CA for LAN tests, issuing certificates with the cloud's own code
(CN=device, O=tenant, OU=sede, SAN urn:stocky:device:<id>, EKU server+client auth), and
LanIdentity folders written from them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from stocky.cloud.lan import authority as cloud_ca
from stocky.edge.lan.identity import LanIdentity, load_identity, make_key_and_csr, save_identity


@dataclass
class ThrowawayCA:
    """A tenant's CA as the cloud makes one (stocky.cloud.lan.authority), kept in memory."""

    tenant_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        self.authority = cloud_ca.new_authority(self.tenant_id)
        self.ca_pem = self.authority.certificate_pem

    def issue(self, csr_pem: str, *, device_id: str, sede_id: str, days: int = 3 * 365) -> str:
        issued = cloud_ca.issue(
            self.authority,
            cloud_ca.parse_csr(csr_pem),
            tenant_id=self.tenant_id,
            sede_id=sede_id,
            device_id=device_id,
            days=days,
        )
        return issued.certificate_pem

    def identity(
        self, folder: Path, *, sede_id: str, device_id: str | None = None, days: int = 3 * 365
    ) -> LanIdentity:
        """A caja's identity files under `folder/lan/`, as ensure_identity writes them."""
        device_id = device_id or str(uuid.uuid4())
        key_pem, csr_pem = make_key_and_csr(device_id)
        cert_pem = self.issue(csr_pem, device_id=device_id, sede_id=sede_id, days=days)
        save_identity(folder, key_pem, cert_pem, self.ca_pem)
        identity = load_identity(folder)
        assert identity is not None
        return identity
