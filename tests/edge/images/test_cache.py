"""The caja's image cache against the real cloud app (ASGI, real PostgreSQL): fetched once by
key, replaced and pruned when the product's image changes, served by the local API; the
cloud's /api/images answers only the caja's own tenant's product images."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

from stocky.edge.api.app import PREFIX, create_local_app
from stocky.edge.config import EdgeSettings
from stocky.edge.images.cache import ImageCache, images_dir, local_url
from stocky.edge.store import Store
from stocky.edge.store.timestamps import utc_now
from stocky.edge.sync.products import product_row, write_products
from tests.cloud.factories import Caja, Shop, create_device, create_shop

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
PNG2 = b"\x89PNG\r\n\x1a\n" + bytes(range(100, 250))


def _key(shop: Shop, pid: str, data: bytes) -> str:
    return f"{shop.tenant_id}/products/{pid}/{hashlib.sha256(data).hexdigest()[:32]}.png"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "caja" / "caja.db")
    try:
        yield store
    finally:
        store.close()


@pytest_asyncio.fixture
async def world(client, cloud_app) -> AsyncIterator[tuple[Shop, Caja, httpx.AsyncClient]]:
    shop = await create_shop(cloud_app, "Tienda Fotos")
    caja = await create_device(cloud_app.state.sessionmaker, shop.tenant_id, shop.sede_id)
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=cloud_app), base_url="http://cloud", headers=caja.headers
    )
    try:
        yield shop, caja, http
    finally:
        await http.aclose()


async def _product_with_image(client: httpx.AsyncClient, shop: Shop, data: bytes) -> dict[str, Any]:
    created = await client.post(
        "/api/products", json={"sku": "F-1", "name": "Arroz", "price": "10"}, headers=shop.owner
    )
    assert created.status_code == 201, created.text
    product: dict[str, Any] = created.json()
    return await _upload(client, shop, product["id"], data)


async def _upload(client: httpx.AsyncClient, shop: Shop, pid: str, data: bytes) -> dict[str, Any]:
    up = await client.put(
        f"/api/products/{pid}/image",
        files={"file": ("a.png", data, "image/png")},
        headers=shop.manager,
    )
    assert up.status_code == 200, up.text
    body: dict[str, Any] = up.json()
    return body


def _pulled(store: Store, product: dict[str, Any], key: str) -> None:
    """The product as a pull writes it, with the image key the feed carries."""
    row = product_row({**product, "image_key": key}, utc_now())

    def write(conn: sqlite3.Connection) -> None:
        write_products(conn, [(product["id"], row)], utc_now())

    store.write(write)


@pytest.mark.asyncio
class TestImageCache:
    async def test_fetched_once_replaced_pruned_and_served(
        self, client, world, store: Store, tmp_path: Path
    ) -> None:
        shop, _caja, http = world
        data_dir = tmp_path / "caja"
        product = await _product_with_image(client, shop, PNG)
        key = _key(shop, product["id"], PNG)
        _pulled(store, product, key)
        cache = ImageCache(store, http, data_dir, concurrency=2)

        first = await cache.run_once()
        assert (first.fetched, first.failed, first.kept) == (1, 0, 0)
        assert (images_dir(data_dir) / key).read_bytes() == PNG
        again = await cache.run_once()  # same key: nothing fetched
        assert (again.fetched, again.kept, again.removed) == (0, 1, 0)

        local = create_local_app(store, EdgeSettings(data_dir=data_dir))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=local), base_url="http://127.0.0.1"
        ) as api:
            served = await api.get(local_url(key))
            assert served.status_code == 200
            assert served.content == PNG
            assert served.headers["content-type"] == "image/png"
            for hostile in ("../caja.db", f"{key}/../../../caja.db", "x.png", key + ".png"):
                assert (await api.get(f"{PREFIX}/images/{hostile}")).status_code == 404

            # A new image names a new key: fetched, and the old copy goes.
            replaced = await _upload(client, shop, product["id"], PNG2)
            key2 = _key(shop, product["id"], PNG2)
            _pulled(store, replaced, key2)
            third = await cache.run_once()
            assert (third.fetched, third.removed) == (1, 1)
            assert (await api.get(local_url(key2))).content == PNG2
            assert (await api.get(local_url(key))).status_code == 404

    async def test_a_missing_object_is_tried_again_later(
        self, client, world, store: Store, tmp_path: Path
    ) -> None:
        shop, _caja, http = world
        product = await _product_with_image(client, shop, PNG)
        never = _key(shop, product["id"], b"never uploaded")
        _pulled(store, product, never)
        cache = ImageCache(store, http, tmp_path / "caja")
        assert (await cache.run_once()).failed == 1
        assert (await cache.run_once()).failed == 1  # not remembered as done


@pytest.mark.asyncio
async def test_cloud_images_route_is_the_tenants_own(client, cloud_app, world) -> None:
    shop, _caja, http = world
    product = await _product_with_image(client, shop, PNG)
    key = _key(shop, product["id"], PNG)
    got = await http.get(f"/api/images/{key}")
    assert got.status_code == 200
    assert got.content == PNG
    other = await create_shop(cloud_app, "Otra")
    stranger = await create_device(cloud_app.state.sessionmaker, other.tenant_id, other.sede_id)
    assert (await client.get(f"/api/images/{key}", headers=stranger.headers)).status_code == 404
    assert (await client.get(f"/api/images/{key}")).status_code == 401
    for hostile in ("../../etc/passwd", f"{shop.tenant_id}/products/x.db", "a/b.png"):
        answer = await http.get(f"/api/images/{hostile}")
        assert answer.status_code == 404, hostile
