"""Reading an uploaded file: a multipart form field `file`, or the raw text/csv body."""

from __future__ import annotations

from fastapi import Request
from starlette.datastructures import UploadFile

from stocky.cloud.kit.pagination import InvalidFieldError


async def read_upload(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidFieldError("file", "attach the CSV as the form field 'file'")
        return await upload.read()
    data = await request.body()
    if not data.strip():
        raise InvalidFieldError("file", "the request has no CSV file")
    return data
