"""Objects in an S3 bucket (AWS or an S3-compatible server), read through presigned URLs.

boto3 is synchronous: its calls run in a worker thread. Credentials come the standard way
(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance role).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread

from stocky.cloud.storage.base import IMMUTABLE

# Presigned URLs kept per key, so a page's images keep their URLs (and the browser its cache)
# within a window; cleared whole when it grows past this.
_URL_CACHE_LIMIT = 50_000


def parse_s3_url(url: str) -> tuple[str, str]:
    """("bucket", "prefix/") of s3://bucket/prefix; the prefix is "" or ends with a slash."""
    parts = urlsplit(url)
    prefix = parts.path.strip("/")
    return parts.netloc, f"{prefix}/" if prefix else ""


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

        # An S3-compatible server (MinIO, moto) is addressed by path, not by bucket host name.
        self._client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path" if endpoint_url else "auto"},
            ),
        )
        self.bucket = bucket
        self.prefix = prefix
        self.ttl_s = ttl_s
        self._urls: dict[str, tuple[str, float]] = {}

    def _name(self, key: str) -> str:
        return self.prefix + key

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self._client.put_object(
                Bucket=self.bucket,
                Key=self._name(key),
                Body=data,
                ContentType=content_type,
                CacheControl=IMMUTABLE,
            )
        )

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            try:
                answer = self._client.get_object(Bucket=self.bucket, Key=self._name(key))
            except self._client.exceptions.NoSuchKey:
                return None
            body: bytes = answer["Body"].read()
            return body

        return await anyio.to_thread.run_sync(read)

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self._client.delete_object(Bucket=self.bucket, Key=self._name(key))
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
