"""The caja's LAN identity against a stand-in cloud (a throwaway CA answering CSRs as the
cloud does): made once, reused, renewed when it stops fitting, never half-written."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography import x509

from stocky.core.lan import CertificateRequest, CertificateResponse
from stocky.edge.lan.identity import ensure_identity, lan_dir, load_identity
from stocky.edge.sync.client import CloudClient, CloudUnavailableError
from tests.edge.factories import Caja, caja
from tests.edge.lan.certs import ThrowawayCA

__all__ = ["caja"]

pytestmark = pytest.mark.asyncio


class FakeCloud:
    """lan_certificate as the cloud answers it: the subject is the cloud's, not the CSR's."""

    def __init__(self, caja: Caja, *, days: int = 3 * 365) -> None:
        self.ca = ThrowawayCA(tenant_id=caja.sede["tenant_id"])
        self.sede = caja.sede
        self.days = days
        self.down = False
        self.device_id = caja.sede["device_id"]
        self.requests: list[CertificateRequest] = []

    async def lan_certificate(self, request: CertificateRequest) -> CertificateResponse:
        self.requests.append(request)
        if self.down:
            raise CloudUnavailableError("cloud unreachable")
        pem = self.ca.issue(
            request.csr_pem, device_id=self.device_id, sede_id=self.sede["sede_id"], days=self.days
        )
        certificate = x509.load_pem_x509_certificate(pem.encode())
        return CertificateResponse(
            certificate_pem=pem,
            ca_pem=self.ca.ca_pem,
            tenant_id=self.sede["tenant_id"],
            sede_id=self.sede["sede_id"],
            device_id=self.device_id,
            not_after=certificate.not_valid_after_utc,
        )

    @property
    def client(self) -> CloudClient:
        return cast(CloudClient, self)


async def test_made_once_then_reused(caja: Caja, tmp_path: Path) -> None:
    cloud = FakeCloud(caja)
    identity = await ensure_identity(tmp_path, caja.store, cloud.client)
    assert identity is not None
    assert (identity.device_id, identity.sede_id, identity.tenant_id) == (
        caja.sede["device_id"],
        caja.sede["sede_id"],
        caja.sede["tenant_id"],
    )
    assert identity.key_path.parent == lan_dir(tmp_path)
    assert stat.S_IMODE(identity.key_path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in identity.key_path.read_bytes()
    assert len(cloud.requests) == 1
    assert "PRIVATE" not in cloud.requests[0].csr_pem  # only the CSR leaves the caja
    again = await ensure_identity(tmp_path, caja.store, cloud.client)
    assert again == identity
    assert len(cloud.requests) == 1
    assert load_identity(tmp_path) == identity


async def test_no_cloud_and_no_files_is_none_until_later(caja: Caja, tmp_path: Path) -> None:
    cloud = FakeCloud(caja)
    cloud.down = True
    assert await ensure_identity(tmp_path, caja.store, cloud.client) is None
    assert load_identity(tmp_path) is None
    cloud.down = False
    assert await ensure_identity(tmp_path, caja.store, cloud.client) is not None


async def test_renewed_within_30_days_of_expiring_kept_if_the_cloud_is_down(
    caja: Caja, tmp_path: Path
) -> None:
    cloud = FakeCloud(caja, days=10)
    first = await ensure_identity(tmp_path, caja.store, cloud.client)
    assert first is not None
    old_pem = first.cert_path.read_bytes()
    cloud.down = True
    # Still valid for 10 days: better than no LAN.
    assert await ensure_identity(tmp_path, caja.store, cloud.client) == first
    assert first.cert_path.read_bytes() == old_pem
    cloud.down, cloud.days = False, 3 * 365
    renewed = await ensure_identity(tmp_path, caja.store, cloud.client)
    assert renewed is not None
    certificate = x509.load_pem_x509_certificate(renewed.cert_path.read_bytes())
    assert certificate.not_valid_after_utc > datetime.now(UTC) + timedelta(days=365)
    assert len(cloud.requests) == 3


async def test_another_caja_s_files_are_replaced(caja: Caja, tmp_path: Path) -> None:
    """A data dir re-activated as another caja: the old certificate names the old device."""
    cloud = FakeCloud(caja)
    cloud.ca.identity(tmp_path, sede_id=caja.sede["sede_id"])  # some other device's files
    identity = await ensure_identity(tmp_path, caja.store, cloud.client)
    assert identity is not None
    assert identity.device_id == caja.sede["device_id"]
    assert len(cloud.requests) == 1


async def test_a_certificate_for_another_caja_is_not_used(caja: Caja, tmp_path: Path) -> None:
    cloud = FakeCloud(caja)
    cloud.device_id = "6f1c0f9e-0000-4000-8000-000000000000"
    assert await ensure_identity(tmp_path, caja.store, cloud.client) is None
    assert load_identity(tmp_path) is None


async def test_a_key_that_does_not_match_the_certificate_is_no_identity(
    caja: Caja, tmp_path: Path
) -> None:
    cloud = FakeCloud(caja)
    identity = await ensure_identity(tmp_path, caja.store, cloud.client)
    assert identity is not None
    other = ThrowawayCA().identity(tmp_path / "other", sede_id="x")
    identity.key_path.write_bytes(other.key_path.read_bytes())
    assert load_identity(tmp_path) is None
    # ensure_identity makes a fresh pair instead.
    fixed: Any = await ensure_identity(tmp_path, caja.store, cloud.client)
    assert fixed is not None
    assert len(cloud.requests) == 2
