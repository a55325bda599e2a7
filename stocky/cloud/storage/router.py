"""GET /media/{key}: the local folder's objects, for whoever holds a signed URL.

Images show inline; other objects (installers, backups) download under their file name.

No bearer token (an <img> sends none): the signature is the credential, and it names the
key and the expiry. A bad or expired signature answers 403 before the key is looked at,
so nobody learns which keys exist; a valid one for a deleted object answers 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse

from stocky.cloud.storage.base import (
    CONTENT_TYPES,
    IMMUTABLE,
    ObjectStorage,
    content_type_for,
    extension,
)
from stocky.cloud.storage.local import MEDIA_PATH, LocalStorage
from stocky.core.errors import ForbiddenError, NotFoundError


def get_storage(request: Request) -> ObjectStorage:
    storage: ObjectStorage = request.app.state.storage
    return storage


StorageDep = Annotated[ObjectStorage, Depends(get_storage)]

router = APIRouter(include_in_schema=False)


@router.get(MEDIA_PATH + "/{key:path}")
async def media(
    storage: StorageDep,
    key: str,
    exp: Annotated[int, Query()] = 0,
    sig: Annotated[str, Query(max_length=100)] = "",
) -> FileResponse:
    if not isinstance(storage, LocalStorage):
        raise NotFoundError("Files are not served here.")
    if not storage.signer.verify(key, exp, sig):
        raise ForbiddenError("This link is invalid or has expired.")
    path = storage.path(key)
    if path is None or not path.is_file():
        raise NotFoundError("No such file.")
    inline = extension(key) in CONTENT_TYPES
    return FileResponse(
        path,
        media_type=content_type_for(key),
        headers={"Cache-Control": IMMUTABLE},
        filename=None if inline else key.rsplit("/", 1)[-1],
    )
