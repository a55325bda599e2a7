"""Product images: upload (JPEG, PNG or WebP, told by their bytes), replace, remove.

The object is written before the row points at it, so a committed row never names a
missing object; the object a row stops naming is deleted after the commit (a background
task of the response), so a rolled-back request never loses the image its row still names.
Keys are tenant/products/product/<hash>.<ext>: re-uploading the same image changes nothing.
"""

from __future__ import annotations

import hashlib
import uuid

from fastapi import BackgroundTasks, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from stocky.cloud.auth.tokens import Principal
from stocky.cloud.catalog import repository as repo
from stocky.cloud.catalog import service
from stocky.cloud.catalog.schemas import ProductOut, ProductPage
from stocky.cloud.models import Product
from stocky.cloud.storage.base import CONTENT_TYPES, ObjectStorage
from stocky.core.errors import ConflictError, FieldError, NotFoundError, PayloadTooLargeError

FIELD = "file"


def sniff(data: bytes) -> str | None:
    """The extension of a JPEG, PNG or WebP image by its magic bytes; None otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


async def read_image(request: Request, max_bytes: int) -> bytes:
    """The image of a multipart form field `file`, or the raw body (any content type)."""
    name = "the image"
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get(FIELD)
        if not isinstance(upload, UploadFile):
            raise FieldError(FIELD, "attach the image as the form field 'file'")
        name = upload.filename or name
        data = await upload.read(max_bytes + 1)
    else:
        data = await request.body()
    if not data:
        raise FieldError(FIELD, "the request has no image")
    if len(data) > max_bytes:
        message = f"{name} is larger than the {_megabytes(max_bytes)} an image may have"
        raise PayloadTooLargeError(
            f"{FIELD}: {message}", fields=[{"field": FIELD, "message": message}]
        )
    return data


def with_url(out: ProductOut, storage: ObjectStorage) -> ProductOut:
    """The product as the API sends it: an uploaded image's URL as image_url."""
    if out.image_key is None:
        return out
    return out.model_copy(update={"image_url": storage.url(out.image_key)})


def page_with_urls(page: ProductPage, storage: ObjectStorage) -> ProductPage:
    return page.model_copy(update={"items": [with_url(p, storage) for p in page.items]})


def image_key(tenant_id: uuid.UUID, product_id: uuid.UUID, data: bytes, ext: str) -> str:
    digest = hashlib.sha256(data).hexdigest()[:32]
    return f"{tenant_id}/products/{product_id}/{digest}.{ext}"


async def _product(session: AsyncSession, user: Principal, product_id: uuid.UUID) -> Product:
    product = await repo.get_product(session, user.tenant_id, product_id)
    if product is None:
        raise NotFoundError("No such product.")
    return product


async def _out(session: AsyncSession, product: Product) -> ProductOut:
    extra = await repo.extra_barcodes(session, product.tenant_id, [product.id])
    return service.product_out(product, extra.get(product.id, []))


async def _write(
    session: AsyncSession,
    user: Principal,
    product: Product,
    version: int | None,
    values: dict[str, str | None],
) -> Product:
    """Set the image columns as a versioned edit (audited, fed to the cajas like any edit)."""
    base = product.version if version is None else version
    values_with_author = {**values, "last_modified_by": user.user_id}
    updated = await repo.update_versioned(
        session, user.tenant_id, product.id, base, values_with_author
    )
    if updated is None:
        current = await _out(session, await _product(session, user, product.id))
        raise ConflictError(
            f"version: the product changed since the version you edited (now {current.version})",
            field="version",
            current=current.model_dump(mode="json"),
        )
    return updated


async def set_image(
    session: AsyncSession,
    user: Principal,
    storage: ObjectStorage,
    tasks: BackgroundTasks,
    product_id: uuid.UUID,
    data: bytes,
    version: int | None,
) -> ProductOut:
    """Store `data` as the product's image (replacing any) and return the product."""
    ext = sniff(data)
    if ext is None:
        raise FieldError(FIELD, "the file is not a JPEG, PNG or WebP image")
    product = await _product(session, user, product_id)
    key = image_key(user.tenant_id, product_id, data, ext)
    old = product.image_key
    if old == key and version in (None, product.version):
        return await _out(session, product)
    await storage.put(key, data, CONTENT_TYPES[ext])
    product = await _write(session, user, product, version, {"image_key": key})
    if old is not None and old != key:
        tasks.add_task(storage.delete, old)
    return await _out(session, product)


async def remove_image(
    session: AsyncSession,
    user: Principal,
    storage: ObjectStorage,
    tasks: BackgroundTasks,
    product_id: uuid.UUID,
    version: int | None,
) -> None:
    """The product shows no image any more: the upload and any image_url go. Idempotent."""
    product = await _product(session, user, product_id)
    old = product.image_key
    if old is None and product.image_url is None:
        return
    await _write(session, user, product, version, {"image_key": None, "image_url": None})
    if old is not None:
        tasks.add_task(storage.delete, old)
