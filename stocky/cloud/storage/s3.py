"""Objects in an S3 bucket (AWS or an S3-compatible server), read through presigned URLs.

boto3 is synchronous: its calls run in a worker thread. Credentials come the standard way
(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role). Large objects go
up through boto3's managed transfer (multipart past 8 MB, never read whole) and come down
in chunks.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread

from stocky.cloud.storage.base import (
    CHUNK,
    CONTENT_TYPES,
    IMMUTABLE,
    ObjectInfo,
    ObjectNotFound,
    Progress,
    check_key,
    check_prefix,
    content_type_for,
    extension,
    valid_key,
)
from stocky.cloud.storage.local import _file_chunks, write_atomically

# Presigned URLs kept per key, so a page's images keep their URLs (and the browser its cache)
# within a window; cleared whole when it grows past this.
_URL_CACHE_LIMIT = 50_000
_MISSING = {"404", "NoSuchKey", "NotFound"}


def parse_s3_url(url: str) -> tuple[str, str]:
    """("bucket", "prefix/") of s3://bucket/prefix; the prefix is "" or ends with a slash."""
    parts = urlsplit(url)
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


class _Reader:
    """A read()-able view of a chunk iterator that hashes what passes through it."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buffer) < n:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if n < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:n], self._buffer[n:]
        self.digest.update(out)
        self.size += len(out)
        return out


def _missing(error: Exception) -> bool:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) in _MISSING


class S3Storage:
    def __init__(
        self,
        bucket: str,
        prefix: str,
        *,
        ttl_s: int,
        endpoint_url: str | None = None,
        region: str | None = None,
    ) -> None:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import ClientError

        extra: dict[str, Any] = {}
        if endpoint_url:
            # S3-compatible servers (MinIO, R2, moto) reject or mangle the CRC checksums
            # boto3 sends by default since 1.36: only send them where an operation needs one.
            extra = {
                "request_checksum_calculation": "when_required",
                "response_checksum_validation": "when_required",
            }
        # An S3-compatible server is addressed by path, not by bucket host name.
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if endpoint_url else "auto"},
                **extra,
            ),
        )
        self._client_error = ClientError
        self.bucket = bucket
        self.prefix = prefix
        self.ttl_s = ttl_s
        self._urls: dict[str, tuple[str, float]] = {}

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _extra(self, key: str, content_type: str | None) -> dict[str, str]:
        extra = {"ContentType": content_type or content_type_for(key), "CacheControl": IMMUTABLE}
        if extension(key) not in CONTENT_TYPES:
            # Installers, backups and artifacts download as a file, not shown inline.
            extra["ContentDisposition"] = f'attachment; filename="{key.rsplit("/", 1)[-1]}"'
        return extra

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        name = self._name(key)
        extra = self._extra(key, content_type)
        await anyio.to_thread.run_sync(
            lambda: self._client.put_object(Bucket=self.bucket, Key=name, Body=data, **extra)
        )

    async def put_stream(
        self,
        key: str,
        chunks: Iterable[bytes],
        content_type: str | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        name = self._name(key)
        extra = self._extra(key, content_type)
        reader = _Reader(chunks)
        await anyio.to_thread.run_sync(
            lambda: self._client.upload_fileobj(
                reader, self.bucket, name, ExtraArgs=extra, Callback=progress
            )
        )
        return ObjectInfo(key, reader.size, extra["ContentType"], None, reader.digest.hexdigest())

    async def put_file(
        self,
        key: str,
        path: Path,
        content_type: str | None = None,
        progress: Progress | None = None,
    ) -> ObjectInfo:
        check_key(key)
        if not path.is_file():
            raise FileNotFoundError(path)
        return await self.put_stream(key, _file_chunks(path), content_type, progress)

    def _get_object(self, name: str) -> Any:
        try:
            return self._client.get_object(Bucket=self.bucket, Key=name)
        except self._client_error as error:
            if _missing(error):
                return None
            raise

    async def get(self, key: str) -> bytes | None:
        name = self._name(key)

        def read() -> bytes | None:
            answer = self._get_object(name)
            if answer is None:
                return None
            body: bytes = answer["Body"].read()
            return body

        return await anyio.to_thread.run_sync(read)

    async def get_file(
        self, key: str, dest: Path, progress: Progress | None = None
    ) -> ObjectInfo | None:
        name = self._name(key)

        def download() -> ObjectInfo | None:
            answer = self._get_object(name)
            if answer is None:
                return None
            body = answer["Body"]
            try:
                size, sha = write_atomically(dest, body.iter_chunks(CHUNK), progress)
            finally:
                body.close()
            return ObjectInfo(
                key,
                size,
                answer.get("ContentType") or content_type_for(key),
                answer.get("LastModified"),
                sha,
            )

        return await anyio.to_thread.run_sync(download)

    async def stream(self, key: str, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
        name = self._name(key)
        answer = await anyio.to_thread.run_sync(self._get_object, name)
        if answer is None:
            raise ObjectNotFound(key)
        body = answer["Body"]
        try:
            while chunk := await anyio.to_thread.run_sync(body.read, chunk_size):
                yield chunk
        finally:
            body.close()

    async def head(self, key: str) -> ObjectInfo | None:
        name = self._name(key)

        def head() -> ObjectInfo | None:
            try:
                answer = self._client.head_object(Bucket=self.bucket, Key=name)
            except self._client_error as error:
                if _missing(error):
                    return None
                raise
            return ObjectInfo(
                key,
                int(answer["ContentLength"]),
                answer.get("ContentType") or content_type_for(key),
                answer.get("LastModified"),
            )

        return await anyio.to_thread.run_sync(head)

    async def exists(self, key: str) -> bool:
        return await self.head(key) is not None

    async def list(self, prefix: str = "") -> list[ObjectInfo]:
        full = self.prefix + check_prefix(prefix)

        def walk() -> list[ObjectInfo]:
            out: list[ObjectInfo] = []
            pages = self._client.get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=full):
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix) :]
                    if valid_key(key):
                        out.append(
                            ObjectInfo(
                                key,
                                int(item["Size"]),
                                content_type_for(key),
                                item.get("LastModified"),
                            )
                        )
            return sorted(out, key=lambda o: o.key)

        return await anyio.to_thread.run_sync(walk)

    async def delete(self, key: str) -> None:
        name = self._name(key)
        await anyio.to_thread.run_sync(
            lambda: self._client.delete_object(Bucket=self.bucket, Key=name)
        )

    def url(self, key: str) -> str:
        now = time.monotonic()
        cached = self._urls.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        # Signed locally (no request to S3); valid twice as long as it is handed out.
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": self._name(key)},
            ExpiresIn=2 * self.ttl_s,
        )
        if len(self._urls) >= _URL_CACHE_LIMIT:
            self._urls.clear()
        self._urls[key] = (url, now + self.ttl_s)
        return url
