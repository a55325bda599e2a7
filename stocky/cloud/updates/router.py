"""The update repository per channel (public, read-only) and the cajas' update reports.

GET /updates/{channel}/metadata/{file} and /updates/{channel}/targets/{file} serve the
folder `stocky release publish --repo-dir` wrote (<data_dir>/updates by default, so a static
host is optional). TUF signs everything served, so no token is needed; only file names a
release makes are served, so nothing outside the folder can be named.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse

from stocky.cloud.auth.deps import CurrentDevice, DeviceTenantSession, TenantSession, require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.config import Settings
from stocky.cloud.deps import SettingsDep
from stocky.cloud.updates import service
from stocky.cloud.updates.schemas import UpdateReportIn, UpdateReportOut
from stocky.core.errors import FieldError, NotFoundError, error_responses

router = APIRouter(tags=["updates"])

Channel = Literal["stable", "beta"]
METADATA_RE: Final = re.compile(r"^(?:[0-9]{1,9}\.)?(?:root|timestamp|snapshot|targets)\.json$")
TARGET_RE: Final = re.compile(r"^stocky-caja-[0-9][0-9A-Za-z.+-]{0,39}\.tar\.gz$")
Owner = Annotated[Principal, Depends(require_role("owner"))]


def updates_root(settings: Settings) -> Path:
    """Where the cloud serves the update repository from."""
    return settings.data_dir / "updates"


def _serve(
    settings: Settings, channel: str, kind: str, name: str, pattern: re.Pattern[str]
) -> FileResponse:
    if not pattern.fullmatch(name) or ".." in name:
        raise FieldError("file", "not a file name this repository serves")
    path = updates_root(settings) / channel / kind / name
    if not path.is_file():
        raise NotFoundError(f"no {kind} file {name} on {channel}")
    media = "application/json" if kind == "metadata" else "application/gzip"
    # Metadata changes with every publish: never cached stale by a proxy.
    headers = {"Cache-Control": "no-cache"} if kind == "metadata" else None
    return FileResponse(path, media_type=media, headers=headers)


@router.get(
    "/updates/{channel}/metadata/{file}",
    summary="A channel's signed TUF metadata",
    responses=error_responses(404, 422),
)
async def update_metadata(channel: Channel, file: str, settings: SettingsDep) -> FileResponse:
    return _serve(settings, channel, "metadata", file, METADATA_RE)


@router.get(
    "/updates/{channel}/targets/{file}",
    summary="A channel's version archive (verified by the caja against its signed hash)",
    responses=error_responses(404, 422),
)
async def update_target(channel: Channel, file: str, settings: SettingsDep) -> FileResponse:
    return _serve(settings, channel, "targets", file, TARGET_RE)


@router.post(
    "/api/devices/me/update-reports",
    status_code=201,
    summary="A caja reports how an update went (installed, or rolled back and why)",
    responses=error_responses(401, 422),
)
async def report_update(
    body: UpdateReportIn, device: CurrentDevice, session: DeviceTenantSession
) -> UpdateReportOut:
    return UpdateReportOut.model_validate(await service.record(session, device, body))


@router.get(
    "/api/update-reports",
    summary="The cajas' update reports, newest first (owners)",
    responses=error_responses(401, 403, 422),
)
async def list_update_reports(
    owner: Owner,
    session: TenantSession,
    sede_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[UpdateReportOut]:
    rows = await service.latest(session, owner.tenant_id, sede_id=sede_id, limit=limit)
    return [UpdateReportOut.model_validate(row) for row in rows]
