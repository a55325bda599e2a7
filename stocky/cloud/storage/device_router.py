"""GET /api/images/{key}: a product image of the caja's own tenant, for its offline cache.

A caja holds no signed URLs (its feed carries the object key, not a URL that expires), so it
reads the bytes here with its credential; keys of another tenant, or that are not product
images, answer 404 as if they did not exist.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from stocky.cloud.auth.deps import CurrentDevice
from stocky.cloud.storage.base import CONTENT_TYPES, IMMUTABLE, extension, valid_key
from stocky.cloud.storage.router import StorageDep
from stocky.core.errors import NotFoundError

router = APIRouter(prefix="/api/images", tags=["images"])


@router.get(
    "/{key:path}",
    summary="A product image of this caja's tenant (caja credential)",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}}}},
)
async def product_image(key: str, caja: CurrentDevice, storage: StorageDep) -> Response:
    ext = extension(key)
    own = f"{caja.tenant_id}/products/"
    if not valid_key(key) or not key.startswith(own) or ext not in CONTENT_TYPES:
        raise NotFoundError("No such image.")
    data = await storage.get(key)
    if data is None:
        raise NotFoundError("No such image.")
    return Response(data, media_type=CONTENT_TYPES[ext], headers={"Cache-Control": IMMUTABLE})
