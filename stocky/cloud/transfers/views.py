"""Transfers as the API shows them: names of sedes, people and products filled in."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.models import Transfer
from stocky.cloud.transfers import repository as repo
from stocky.cloud.transfers.schemas import (
    LineOut,
    MovementOut,
    PersonOut,
    ShortageOut,
    TransferOut,
)


async def transfers_out(
    session: AsyncSession, transfers: Sequence[Transfer], *, with_movements: bool = False
) -> list[TransferOut]:
    if not transfers:
        return []
    tenant_id = transfers[0].tenant_id
    sedes = await repo.sede_names(session, tenant_id)
    people = {t.requested_by for t in transfers} | {t.decided_by for t in transfers}
    names = await repo.user_names(session, tenant_id, [p for p in people if p is not None])
    lines = await repo.lines_of(session, tenant_id, [t.id for t in transfers])

    def person(user_id: uuid.UUID | None, as_recorded: str | None) -> PersonOut | None:
        if user_id is None:
            return None
        # Today's name; the one recorded with the transfer if the user is gone.
        return PersonOut(id=user_id, name=names.get(user_id, as_recorded))

    out = []
    for t in transfers:
        movements = await repo.movements_of(session, tenant_id, t.id) if with_movements else []
        out.append(
            TransferOut(
                id=t.id,
                from_sede_id=t.from_sede_id,
                from_sede_name=sedes.get(t.from_sede_id, ""),
                to_sede_id=t.to_sede_id,
                to_sede_name=sedes.get(t.to_sede_id, ""),
                status=t.status,
                note=t.note,
                reason=t.reason,
                failure_reason=t.failure_reason,
                failure_code=t.failure_code,
                shortages=[ShortageOut.model_validate(s) for s in t.shortages or []],
                requested_by=person(t.requested_by, t.requested_by_name),
                requested_at=t.requested_at,
                decided_by=person(t.decided_by, t.decided_by_name),
                decided_at=t.decided_at,
                completed_at=t.completed_at,
                lines=[
                    LineOut(
                        product_id=p.id, sku=p.sku, name=p.name, unit=p.unit, quantity=line.quantity
                    )
                    for line, p in lines.get(t.id, [])
                ],
                movements=[
                    MovementOut(
                        id=m.id,
                        sede_id=m.sede_id,
                        product_id=m.product_id,
                        type=m.type,
                        quantity=m.quantity,
                        server_timestamp=m.server_timestamp,
                    )
                    for m in movements
                ],
                version=t.version,
            )
        )
    return out


async def transfer_out(session: AsyncSession, transfer: Transfer) -> TransferOut:
    return (await transfers_out(session, [transfer], with_movements=True))[0]
