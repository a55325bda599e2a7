"""The S3 backend against moto's S3 server on 127.0.0.1 (no internet), and the API on it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from stocky.cloud.auth.keys import KeyRing
from stocky.cloud.config import Settings
from stocky.cloud.storage.factory import build_storage
from stocky.cloud.storage.s3 import S3Storage, parse_s3_url

KEY = "01a2-t/products/01a2-p/0123abcd.png"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server of this module's own, with the standard AWS variables set."""
    saved = {name: os.environ.get(name) for name in CREDENTIALS}
    os.environ.update(CREDENTIALS)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _bucket(endpoint: str, name: str) -> None:
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket=name)


def _objects(endpoint: str, bucket: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=endpoint)
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_parse_s3_url() -> None:
    assert parse_s3_url("s3://fotos") == ("fotos", "")
    assert parse_s3_url("s3://fotos/stocky/prod/") == ("fotos", "stocky/prod/")


@pytest.mark.asyncio
class TestS3Storage:
    async def test_put_get_delete_under_the_prefix(self, s3_endpoint: str) -> None:
        _bucket(s3_endpoint, "unit")
        storage = S3Storage("unit", "stocky/", ttl_s=3600, endpoint_url=s3_endpoint)
        await storage.put(KEY, PNG, "image/png")
        assert _objects(s3_endpoint, "unit") == [f"stocky/{KEY}"]
        assert await storage.get(KEY) == PNG
        await storage.delete(KEY)
        assert await storage.get(KEY) is None
        assert _objects(s3_endpoint, "unit") == []

    async def test_presigned_url_serves_the_image_and_is_reused(self, s3_endpoint: str) -> None:
        _bucket(s3_endpoint, "urls")
        storage = S3Storage("urls", "", ttl_s=3600, endpoint_url=s3_endpoint)
        await storage.put(KEY, PNG, "image/png")
        url = storage.url(KEY)
        assert url.startswith(f"{s3_endpoint}/urls/{KEY}?")
        assert "X-Amz-Signature=" in url
        assert "X-Amz-Expires=7200" in url
        assert storage.url(KEY) == url  # cached within the window: the browser's cache holds
        async with httpx.AsyncClient() as http:
            answer = await http.get(url)  # no credentials: the URL carries them
        assert answer.status_code == 200
        assert answer.content == PNG
        assert answer.headers["content-type"] == "image/png"
        assert "immutable" in answer.headers.get("cache-control", "")


def test_settings_choose_s3(s3_endpoint: str, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        object_storage_url="s3://fotos/tienda",
        object_storage_endpoint=s3_endpoint,
    )
    storage = build_storage(settings, KeyRing.load_or_create(tmp_path / "keys"))
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix) == ("fotos", "tienda/")


@pytest.fixture
def settings(settings: Settings, s3_endpoint: str) -> Settings:
    """The usual test settings, with product images in the moto bucket."""
    _bucket(s3_endpoint, "api")
    return settings.model_copy(
        update={"object_storage_url": "s3://api/imgs", "object_storage_endpoint": s3_endpoint}
    )


@pytest.mark.asyncio
async def test_the_api_stores_images_in_s3(client, cloud_app, s3_endpoint: str) -> None:
    from tests.cloud.factories import create_shop

    shop = await create_shop(cloud_app, "Tienda S3")
    created = await client.post(
        "/api/products", json={"sku": "S3-1", "name": "Arroz", "price": "10"}, headers=shop.owner
    )
    pid = created.json()["id"]
    up = await client.put(
        f"/api/products/{pid}/image",
        files={"file": ("a.png", PNG, "image/png")},
        headers=shop.manager,
    )
    assert up.status_code == 200, up.text
    url = up.json()["image_url"]
    assert url.startswith(f"{s3_endpoint}/api/imgs/{shop.tenant_id}/products/{pid}/")
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).content == PNG
    listed = (await client.get("/api/products", headers=shop.cashier)).json()["items"]
    assert [p["image_url"] for p in listed] == [url]
    assert len(_objects(s3_endpoint, "api")) == 1
    gone = await client.delete(f"/api/products/{pid}/image", headers=shop.manager)
    assert gone.status_code == 204
    assert _objects(s3_endpoint, "api") == []
