"""`transfer.*` notices, sent once the transaction that changed the transfer commits."""

from __future__ import annotations

import logging
import uuid

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.db import on_commit
from stocky.cloud.models import Transfer
from stocky.cloud.realtime.schemas import event_data, sede_room, tenant_room
from stocky.cloud.realtime.server import NAMESPACE
from stocky.cloud.transfers.schemas import TransferEvent

log = logging.getLogger(__name__)

# The event each status is announced with.
EVENT_OF_STATUS = {
    "pending": "transfer.requested",
    "processing": "transfer.approved",
    "rejected": "transfer.rejected",
    "cancelled": "transfer.cancelled",
    "completed": "transfer.completed",
    "failed": "transfer.failed",
}


async def emit_transfer(app: FastAPI, tenant_id: uuid.UUID, event: TransferEvent) -> None:
    """One emit to both sedes' rooms (their cajas and managers) and the tenant's room (the
    owner, admins, the web admin); a socket in several of them hears it once. Failures are
    logged: the change feed carries the same state to every caja anyway."""
    name = EVENT_OF_STATUS[event.status]
    rooms = [sede_room(event.from_sede_id), sede_room(event.to_sede_id), tenant_room(tenant_id)]
    try:
        await app.state.gateway.sio.emit(name, event_data(event), to=rooms, namespace=NAMESPACE)
    except Exception:
        log.exception("could not emit %s for transfer %s", name, event.transfer_id)


def announce_after_commit(
    session: AsyncSession,
    app: FastAPI,
    transfer: Transfer,
    names: dict[uuid.UUID, str],
    *,
    status: str,
    reason: str | None = None,
) -> None:
    event = TransferEvent(
        transfer_id=transfer.id,
        status=status,
        from_sede_id=transfer.from_sede_id,
        to_sede_id=transfer.to_sede_id,
        from_sede_name=names.get(transfer.from_sede_id, ""),
        to_sede_name=names.get(transfer.to_sede_id, ""),
        reason=reason,
    )
    on_commit(session, emit_transfer, app, transfer.tenant_id, event)
