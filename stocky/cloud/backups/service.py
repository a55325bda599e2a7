"""Who may upload, list and download which backups, and the cloud's retention.

The key is made here from the authenticated device (backups/<tenant>/<device>/...), never
from anything the caja sends, so a caja can only ever write under its own prefix. The
object is written before its row; objects whose rows retention removes are deleted after
the commit (a rolled-back request never loses a backup a row still names).
"""

from __future__ import annotations

import contextlib
import hashlib
import uuid
from collections.abc import Sequence

from fastapi import BackgroundTasks
from sqlalchemy.ext.asyncio import AsyncSession

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.backups import repository as repo
from stocky.cloud.backups.schemas import BackupMeta, BackupOut, DeviceOpsOut
from stocky.cloud.models import CajaBackup
from stocky.cloud.storage.base import ObjectStorage
from stocky.core.errors import FieldError, ForbiddenError, NotFoundError
from stocky.core.ids import new_id

CONTENT_TYPE = "application/vnd.sqlite3"


def backup_key(tenant_id: uuid.UUID, device_id: uuid.UUID, backup_id: uuid.UUID) -> str:
    return f"backups/{tenant_id}/{device_id}/{backup_id}.db"


def _device(principal: Principal) -> tuple[uuid.UUID, uuid.UUID]:
    if not principal.is_device or principal.device_id is None or principal.sede_id is None:
        raise ForbiddenError("only a caja uploads its backups (device credential)")
    return principal.device_id, principal.sede_id


async def _delete_objects(storage: ObjectStorage, keys: Sequence[str]) -> None:
    for key in keys:
        # A key left behind costs space only; the next upload's retention does not retry it.
        with contextlib.suppress(Exception):
            await storage.delete(key)


async def upload(
    session: AsyncSession,
    principal: Principal,
    storage: ObjectStorage,
    tasks: BackgroundTasks,
    meta: BackupMeta,
    data: bytes,
    *,
    keep: int,
) -> BackupOut:
    """Store a caja's snapshot under its own prefix and keep its newest `keep`."""
    device_id, sede_id = _device(principal)
    if not data:
        raise FieldError("body", "the request has no snapshot")
    digest = hashlib.sha256(data).hexdigest()
    if digest != meta.sha256:
        raise FieldError("sha256", f"does not match the body received (its sha256 is {digest})")
    backup_id = new_id()
    key = backup_key(principal.tenant_id, device_id, backup_id)
    await storage.put(key, data, CONTENT_TYPE)
    row = CajaBackup(
        tenant_id=principal.tenant_id,
        id=backup_id,
        device_id=device_id,
        sede_id=sede_id,
        key=key,
        size=len(data),
        sha256=digest,
        last_op_seq=meta.last_op_seq,
        last_op_id=meta.last_op_id,
        reason=meta.reason,
        taken_at=meta.taken_at,
    )
    session.add(row)
    await session.flush()
    await session.refresh(row)
    expired = await repo.beyond_newest(session, principal.tenant_id, device_id, keep)
    for old in expired:
        await session.delete(old)
    await session.flush()
    tasks.add_task(_delete_objects, storage, [old.key for old in expired])
    return BackupOut.model_validate(row)


async def list_backups(
    session: AsyncSession,
    principal: Principal,
    *,
    device_id: uuid.UUID | None,
    sede_id: uuid.UUID | None,
) -> list[BackupOut]:
    """A caja sees its own; an admin or owner the tenant's (filtered by sede or caja)."""
    if principal.is_device:
        if device_id is not None and device_id != principal.device_id:
            raise ForbiddenError("device_id: a caja lists only its own backups")
        device_id, sede_id = principal.device_id, None
    elif not principal.at_least("admin"):
        raise ForbiddenError("only an admin or the owner lists the cajas' backups")
    rows = await repo.list_backups(
        session, principal.tenant_id, device_id=device_id, sede_id=sede_id
    )
    return [BackupOut.model_validate(row) for row in rows]


async def backup_for_download(
    session: AsyncSession, principal: Principal, backup_id: uuid.UUID
) -> CajaBackup:
    """The backup a caja (its own) or the owner (any of the tenant's) may download."""
    if not principal.is_device and not principal.at_least("owner"):
        raise ForbiddenError("only the owner downloads the cajas' backups")
    row = await repo.get_backup(session, principal.tenant_id, backup_id)
    # Another caja's backup is answered like a missing one: a caja learns no other's ids.
    if row is None or (principal.is_device and row.device_id != principal.device_id):
        raise NotFoundError("no such backup")
    return row


async def device_ops(
    session: AsyncSession,
    principal: Principal,
    *,
    device_id: uuid.UUID | None,
    after_op_id: uuid.UUID | None,
) -> DeviceOpsOut:
    """What the cloud received from a caja (itself, or any of the tenant's for the owner)."""
    if principal.is_device:
        if device_id is not None and device_id != principal.device_id:
            raise ForbiddenError("device_id: a caja reads only its own ops")
        device_id = principal.device_id
    elif not principal.at_least("owner"):
        raise ForbiddenError("only the owner reads a caja's op sequence")
    if device_id is None:
        raise FieldError("device_id", "name the caja whose ops to count")
    total, after, last_id, last_at = await repo.device_ops(
        session, principal.tenant_id, device_id, after_op_id
    )
    return DeviceOpsOut(
        device_id=device_id,
        ops_total=total,
        ops_after=after,
        last_op_id=last_id,
        last_received_at=last_at,
        last_sale_number=await repo.last_sale_number(session, principal.tenant_id, device_id),
    )
