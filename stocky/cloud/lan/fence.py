"""What a push must satisfy when it comes from a sede's LAN master (issue 16): the epoch
of its lease (a fencing token), and the cajas it relays for.

A master stamps its pushes with its epoch. While the cloud has granted the sede's lease at
a newer epoch, or to another caja at the same one, the push is refused whole (409
stale_epoch): the caja stops being master and hands its ops to the one that is. An epoch
newer than the cloud's lease is a master the cajas elected among themselves while offline;
its pushes are taken (ops are idempotent, stock changes are deltas) and its next lease
request registers it.

A push without an epoch may still carry other cajas' ops: a caja that was master and is not
now (alone, or cut off from the new master) delivers what it holds for them. That is as safe
as their own caja pushing them, which it may also do; op_id makes the second a duplicate.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.lan import repository
from stocky.core.errors import ConflictError
from stocky.core.sync import Operation

NOT_A_CAJA_HERE = "origin_device_id: not an active caja of this sede"


class StaleEpochError(ConflictError):
    code = "stale_epoch"


async def check_epoch(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    device_id: uuid.UUID,
    lan_epoch: int | None,
) -> None:
    if lan_epoch is None:
        return
    row = await repository.lease_holder_shared(session, tenant_id, sede_id)
    if row is None:
        return
    epoch, holder = row
    if lan_epoch < epoch or (lan_epoch == epoch and holder != device_id):
        raise StaleEpochError(
            f"lan_epoch: {lan_epoch} is stale; the sede's LAN master is {holder} at epoch {epoch}",
            epoch=epoch,
            device_id=str(holder),
        )


async def relay_origins(
    session: AsyncSession,
    *,
    tenant_id: uuid.UUID,
    sede_id: uuid.UUID,
    device_id: uuid.UUID,
    ops: Sequence[Operation],
) -> list[uuid.UUID | None]:
    """Per op, the caja it is recorded for (the pusher's own, or the one a master relays
    it for), or None when that caja is not an active caja of this sede."""
    others = {
        op.origin_device_id
        for op in ops
        if op.origin_device_id is not None and op.origin_device_id != device_id
    }
    if not others:
        return [device_id] * len(ops)
    active = await repository.active_devices(session, tenant_id, sede_id, sorted(others))
    origins: list[uuid.UUID | None] = []
    for op in ops:
        origin = op.origin_device_id or device_id
        origins.append(origin if origin == device_id or origin in active else None)
    return origins
