"""Payloads of the events the gateway emits (documented in docs/realtime.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

SYNC_CHANGES = "sync.changes"
SEDE_PRESENCE = "sede.presence"
# To the tenant's room (its users' sockets and the web admin's pages): something of the
# tenant committed; which sedes and which feed entities (sales, products, inventory...).
TENANT_CHANGES = "tenant.changes"


def tenant_room(tenant_id: uuid.UUID) -> str:
    return f"tenant:{tenant_id}"


def sede_room(sede_id: uuid.UUID) -> str:
    return f"sede:{sede_id}"


def device_room(device_id: uuid.UUID) -> str:
    """One caja's sockets: nothing is emitted to it, it is how they are disconnected."""
    return f"device:{device_id}"


def user_room(user_id: uuid.UUID) -> str:
    """One user's sockets: nothing is emitted to it, it is how they are disconnected."""
    return f"user:{user_id}"


class SyncChangesEvent(BaseModel):
    """Something the sede pulls has committed; `position` is the commit's feed position."""

    model_config = ConfigDict(extra="forbid")

    sede_id: uuid.UUID
    position: str | None = None


class TenantChangesEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sede_ids: list[uuid.UUID]
    whole_tenant: bool
    entities: list[str]
    position: str | None = None


class SedePresenceEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sede_id: uuid.UUID
    online: bool
    last_ping_at: datetime | None = None


def event_data(model: BaseModel) -> dict[str, Any]:
    """JSON-ready dict (ids and times as strings) for socket.io's JSON encoder."""
    return model.model_dump(mode="json")
