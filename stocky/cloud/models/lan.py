"""The LAN of each sede's cajas, as the cloud keeps it (issue 16): the tenant's certificate
authority and each sede's master lease (the fencing token of its LAN)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKeyConstraint, Text
from sqlalchemy.orm import Mapped, mapped_column

from stocky.cloud.models.base import Base, CreatedAt, TenantPk


class TenantCertificateAuthority(Base):
    """The tenant's own CA: made on a caja's first certificate request. Its key never
    leaves the cloud; row-level security keeps it to its tenant."""

    __tablename__ = "tenant_cas"
    __table_args__ = (ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),)

    tenant_id: Mapped[TenantPk]
    key_pem: Mapped[str] = mapped_column(Text)
    certificate_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[CreatedAt]


class SedeLanLease(Base):
    """Which caja is the sede's LAN master, until when, at which epoch. The epoch only
    grows: it goes up by one whenever the lease passes to another caja."""

    __tablename__ = "sede_lan_leases"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "sede_id"], ["sedes.tenant_id", "sedes.id"]),
        ForeignKeyConstraint(["tenant_id", "device_id"], ["devices.tenant_id", "devices.id"]),
        CheckConstraint("epoch >= 0", name="epoch_not_negative"),
    )

    tenant_id: Mapped[TenantPk]
    sede_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID]
    epoch: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime]
    granted_at: Mapped[datetime]
