"""The storage backend the settings name: S3 for an s3:// URL, else the local folder."""

from __future__ import annotations

from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.config import Settings
from stocky.cloud.storage.base import ObjectStorage
from stocky.cloud.storage.local import LocalStorage
from stocky.cloud.storage.s3 import S3Storage, parse_s3_url
from stocky.cloud.storage.signing import UrlSigner, derive_secret, key_ring_secrets


def build_storage(settings: Settings, keys: KeyRing) -> ObjectStorage:
    if settings.object_storage_url:
        bucket, prefix = parse_s3_url(settings.object_storage_url)
        return S3Storage(
            bucket,
            prefix,
            ttl_s=settings.media_url_ttl_s,
            endpoint_url=settings.object_storage_endpoint,
            region=settings.object_storage_region,
        )
    if settings.media_secret is not None:
        secret = derive_secret(settings.media_secret.get_secret_value().encode())
        signer = UrlSigner(lambda: (secret,), settings.media_url_ttl_s)
    else:
        signer = UrlSigner(key_ring_secrets(keys), settings.media_url_ttl_s)
    return LocalStorage(settings.media_root, signer, settings.public_url or "")
