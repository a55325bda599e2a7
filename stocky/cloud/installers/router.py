"""GET /api/installers: the current caja installer per OS, for the admin to download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from stocky.cloud.auth.deps import require_role
from stocky.cloud.auth.tokens import Principal
from stocky.cloud.deps import SettingsDep
from stocky.cloud.installers.manifest import InstallersOut, listing
from stocky.cloud.storage.router import StorageDep

router = APIRouter(prefix="/api/installers", tags=["installers"])
Admin = Annotated[Principal, Depends(require_role("admin"))]


@router.get("", summary="The current installer of each OS, with its checksum (admin)")
async def list_installers(
    actor: Admin, storage: StorageDep, settings: SettingsDep
) -> InstallersOut:
    return await listing(storage, settings.installer_download_url)
