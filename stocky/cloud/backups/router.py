"""/api/backups: cajas upload their snapshots; a caja or the owner downloads them."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response

from stocky.cloud.auth.deps import CallerTenantSession, CurrentCaller
from stocky.cloud.backups import service
from stocky.cloud.backups.schemas import BackupList, BackupMeta, BackupOut, DeviceOpsOut
from stocky.cloud.deps import SettingsDep
from stocky.cloud.storage.router import StorageDep
from stocky.core.errors import NotFoundError, PayloadTooLargeError, error_responses

router = APIRouter(prefix="/api/backups", tags=["backups"])


async def _read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body, refused with 413 as soon as it passes `max_bytes` (never read whole)."""
    too_large = PayloadTooLargeError(
        f"the snapshot is larger than the {max_bytes // (1024 * 1024)} MB a backup may have"
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "",
    status_code=201,
    summary="Upload this caja's snapshot (the SQLite file as the body); keeps its newest K",
    responses=error_responses(401, 403, 413, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_backup(
    request: Request,
    meta: Annotated[BackupMeta, Query()],
    caller: CurrentCaller,
    session: CallerTenantSession,
    storage: StorageDep,
    settings: SettingsDep,
    tasks: BackgroundTasks,
) -> BackupOut:
    data = await _read_body(request, settings.max_backup_bytes)
    return await service.upload(
        session, caller, storage, tasks, meta, data, keep=settings.backup_keep_per_device
    )


@router.get(
    "",
    summary="A caja's own backups, or (admin, owner) the tenant's, newest first",
    responses=error_responses(401, 403),
)
async def list_backups(
    caller: CurrentCaller,
    session: CallerTenantSession,
    device_id: Annotated[uuid.UUID | None, Query()] = None,
    sede_id: Annotated[uuid.UUID | None, Query()] = None,
) -> BackupList:
    items = await service.list_backups(session, caller, device_id=device_id, sede_id=sede_id)
    return BackupList(items=items)


@router.get(
    "/device-ops",
    summary="How many ops the cloud received from a caja (and past a given op id)",
    responses=error_responses(401, 403, 422),
)
async def device_ops(
    caller: CurrentCaller,
    session: CallerTenantSession,
    device_id: Annotated[uuid.UUID | None, Query()] = None,
    after_op_id: Annotated[uuid.UUID | None, Query()] = None,
) -> DeviceOpsOut:
    return await service.device_ops(session, caller, device_id=device_id, after_op_id=after_op_id)


@router.get(
    "/{backup_id}/download",
    summary="The snapshot file (a caja its own; the owner any of the tenant's)",
    responses={
        **error_responses(401, 403, 404),
        200: {"content": {"application/vnd.sqlite3": {}}},
    },
    response_class=Response,
)
async def download_backup(
    backup_id: uuid.UUID,
    caller: CurrentCaller,
    session: CallerTenantSession,
    storage: StorageDep,
) -> Response:
    row = await service.backup_for_download(session, caller, backup_id)
    data = await storage.get(row.key)
    if data is None:
        raise NotFoundError("the backup's file is no longer in the storage")
    return Response(
        data,
        media_type=service.CONTENT_TYPE,
        headers={
            "X-Backup-Sha256": row.sha256,
            "Content-Disposition": f'attachment; filename="{row.id}.db"',
        },
    )
