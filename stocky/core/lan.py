"""The LAN's contract with the cloud (issue 16): the master's lease and the cajas' TLS
certificates. Pure data: the caja and the cloud both import these.

The lease is the fencing token of a sede's LAN: while the cloud is reachable it grants one
master per sede at a time, with an epoch that only grows; a push stamped with an older
epoch is refused. Certificates are issued by the tenant's own certificate authority, whose
key never leaves the cloud; a caja's certificate names its device, sede and tenant.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

Epoch = Annotated[int, Field(ge=0, le=2**62)]
# A PEM CSR or certificate of an EC P-256 key is about 500 to 1,000 characters.
Pem = Annotated[str, Field(min_length=1, max_length=8192)]


class LeaseRequest(BaseModel):
    """A caja asks to be (or stay) its sede's LAN master, at least at `epoch`."""

    model_config = ConfigDict(extra="forbid")

    sede_id: uuid.UUID
    device_id: uuid.UUID
    epoch: Epoch


class LeaseResponse(BaseModel):
    """`granted`: the caller holds the lease until `expires_at`, at `epoch`. Otherwise
    `device_id` holds it (at `epoch`) and the caller should join it as a slave."""

    granted: bool
    epoch: Epoch
    device_id: uuid.UUID
    expires_at: datetime
    lease_seconds: float


class CertificateRequest(BaseModel):
    """The caja's own key stays on the caja: it sends a certificate signing request."""

    model_config = ConfigDict(extra="forbid")

    csr_pem: Pem


class CertificateResponse(BaseModel):
    certificate_pem: Pem
    ca_pem: Pem
    tenant_id: uuid.UUID
    sede_id: uuid.UUID
    device_id: uuid.UUID
    not_after: datetime
