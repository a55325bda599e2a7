"""GET /local/api/images/{key}: a cached product image, for the caja's own screens.

No session: an <img> sends none, the API listens on loopback (and refuses other host
names), and a product's picture is no secret. Only image keys are looked up, under the
cache folder; anything else answers 404 without touching the disk.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from stocky.core.errors import NotFoundError
from stocky.edge.config import EdgeSettings
from stocky.edge.images.cache import CONTENT_TYPES, cached_path

router = APIRouter(tags=["images"])


@router.get("/images/{key:path}", summary="A product image kept at this caja")
async def cached_image(key: str, request: Request) -> FileResponse:
    settings: EdgeSettings = request.app.state.settings
    path = cached_path(settings.data_dir, key)
    if path is None:
        raise NotFoundError("This caja keeps no such image.")
    return FileResponse(
        path,
        media_type=CONTENT_TYPES[key.rsplit(".", 1)[-1]],
        # The key names the content: the screen's browser may keep it for good.
        headers={"Cache-Control": "private, max-age=31536000, immutable"},
    )
