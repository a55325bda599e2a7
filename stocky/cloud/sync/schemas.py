"""Bodies of the sync endpoints beside push and pull (ping, status).

Op payloads are stocky.core.ops: the caja builds them with the same models the cloud parses
them with, and a payload that does not fit is `rejected` with the reason, recorded, and
never blocks the ops behind it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from stocky.cloud.models.movements import MOVEMENT_TYPES, PAYMENT_METHODS
from stocky.core.ops import MOVEMENT_TYPES as CORE_MOVEMENT_TYPES
from stocky.core.ops import PAYMENT_METHODS as CORE_PAYMENT_METHODS
from stocky.core.sync import PingIn, PingOut

assert set(MOVEMENT_TYPES) == set(CORE_MOVEMENT_TYPES)
assert set(PAYMENT_METHODS) == set(CORE_PAYMENT_METHODS)
__all__ = ["PingIn", "PingOut", "SedeSyncStatus", "SyncStatusOut"]


class SedeSyncStatus(BaseModel):
    sede_id: uuid.UUID
    name: str
    is_online: bool
    last_ping_at: datetime | None
    last_sync_at: datetime | None
    ops_last_24h: dict[str, int]
    last_errors: list[dict[str, Any]]
    devices: list[dict[str, Any]]
    # Synced tables a caja of the sede found different from the cloud's checksums (each
    # one re-fetched and healed), per the sync log.
    divergences_last_24h: int = 0
    # Active cajas whose clock is off past the clock_skew_threshold_s setting, and the
    # offset furthest from zero among the active cajas (ms, caja minus cloud; null: none).
    clock_skewed_devices: int = 0
    worst_clock_offset_ms: int | None = None


class SyncStatusOut(BaseModel):
    sedes: list[SedeSyncStatus]
