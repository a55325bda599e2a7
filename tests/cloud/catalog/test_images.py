"""PUT/DELETE /api/products/{id}/image and the signed /media URLs, local folder backend."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from stocky.cloud.db import SessionMaker, tenant_transaction
from stocky.cloud.models import AuditLog, Change
from stocky.cloud.storage.local import LocalStorage
from tests.cloud.factories import Shop

pytestmark = pytest.mark.asyncio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(80))
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(range(40))


async def _product(client: httpx.AsyncClient, shop: Shop, sku: str = "ARZ-500") -> dict:
    body = {"sku": sku, "name": f"Arroz {sku}", "price": "2500"}
    response = await client.post("/api/products", json=body, headers=shop.manager)
    assert response.status_code == 201, response.text
    return response.json()


async def _upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    product_id: str,
    data: bytes = PNG,
    name: str = "foto.png",
    content_type: str = "image/png",
    **params: object,
) -> httpx.Response:
    return await client.put(
        f"/api/products/{product_id}/image",
        files={"file": (name, data, content_type)},
        headers=headers,
        params=params,
    )


def _storage(app: FastAPI) -> LocalStorage:
    storage = app.state.storage
    assert isinstance(storage, LocalStorage)
    return storage


def _key(image_url: str) -> str:
    return urlsplit(image_url).path.removeprefix("/media/")


class TestUpload:
    async def test_upload_serves_the_image_by_a_signed_url(self, client, shop, cloud_app) -> None:
        product = await _product(client, shop)
        assert product["image_url"] is None
        response = await _upload(client, shop.manager, product["id"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["version"] == product["version"] + 1
        assert "image_key" not in body
        url = urlsplit(body["image_url"])
        assert url.path.startswith(f"/media/{shop.tenant_id}/products/{product['id']}/")
        assert url.path.endswith(".png")
        assert set(parse_qs(url.query)) == {"exp", "sig"}

        image = await client.get(body["image_url"])  # no bearer token: the URL is the key
        assert image.status_code == 200
        assert image.content == PNG
        assert image.headers["content-type"] == "image/png"
        assert "max-age=31536000" in image.headers["cache-control"]
        assert (_storage(cloud_app).root / _key(body["image_url"])).is_file()

        got = await client.get(f"/api/products/{product['id']}", headers=shop.cashier)
        assert got.json()["image_url"] == body["image_url"]  # stable within the window

    @pytest.mark.parametrize(("data", "ext"), [(JPEG, "jpg"), (WEBP, "webp")])
    async def test_raw_body_with_a_content_type_works_too(self, client, shop, data, ext) -> None:
        product = await _product(client, shop)
        response = await client.put(
            f"/api/products/{product['id']}/image",
            content=data,
            headers={**shop.manager, "Content-Type": "application/octet-stream"},
        )
        assert response.status_code == 200, response.text
        image = await client.get(response.json()["image_url"])
        assert image.content == data
        assert image.headers["content-type"] == f"image/{'jpeg' if ext == 'jpg' else ext}"

    async def test_replace_deletes_the_old_object_and_same_image_changes_nothing(
        self, client, shop, cloud_app
    ) -> None:
        product = await _product(client, shop)
        first = (await _upload(client, shop.manager, product["id"])).json()
        again = (await _upload(client, shop.admin, product["id"])).json()
        assert again["version"] == first["version"]  # same bytes, same key: no edit
        second = (
            await _upload(client, shop.owner, product["id"], JPEG, "foto.jpg", "image/jpeg")
        ).json()
        assert second["version"] == first["version"] + 1
        assert _key(second["image_url"]) != _key(first["image_url"])
        root = _storage(cloud_app).root
        assert not (root / _key(first["image_url"])).exists()
        assert (await client.get(first["image_url"])).status_code == 404
        assert (await client.get(second["image_url"])).content == JPEG

    async def test_stale_version_is_409_with_the_current_row(self, client, shop) -> None:
        product = await _product(client, shop)
        await client.patch(
            f"/api/products/{product['id']}", json={"version": 1, "name": "X"}, headers=shop.owner
        )
        stale = await _upload(client, shop.manager, product["id"], version=1)
        assert stale.status_code == 409
        assert stale.json()["field"] == "version"
        assert stale.json()["current"]["name"] == "X"
        fresh = await _upload(client, shop.manager, product["id"], version=2)
        assert fresh.status_code == 200, fresh.text


class TestRefusals:
    async def test_a_non_image_is_422_naming_file_whatever_it_claims(self, client, shop) -> None:
        product = await _product(client, shop)
        response = await _upload(client, shop.manager, product["id"], b"GIF89a..." * 10)
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "file"
        empty = await client.put(
            f"/api/products/{product['id']}/image", content=b"", headers=shop.manager
        )
        assert empty.status_code == 422
        wrong_field = await client.put(
            f"/api/products/{product['id']}/image",
            files={"imagen": ("a.png", PNG, "image/png")},
            headers=shop.manager,
        )
        assert wrong_field.status_code == 422
        assert wrong_field.json()["fields"][0]["field"] == "file"

    async def test_too_big_is_413_naming_the_file(self, client, shop, cloud_app) -> None:
        product = await _product(client, shop)
        limit = cloud_app.state.settings.max_image_bytes
        assert limit == 2 * 1024 * 1024
        big = PNG + bytes(limit)
        response = await _upload(client, shop.manager, product["id"], big, "enorme.png")
        assert response.status_code == 413
        body = response.json()
        assert body["fields"][0]["field"] == "file"
        assert "enorme.png" in body["message"]
        assert "2.0 MB" in body["message"]
        exactly = await _upload(client, shop.manager, product["id"], PNG + bytes(limit - len(PNG)))
        assert exactly.status_code == 200, exactly.text

    async def test_another_tenants_product_is_404(self, client, shop, other_shop) -> None:
        product = await _product(client, shop)
        put = await _upload(client, other_shop.owner, product["id"])
        assert put.status_code == 404
        delete = await client.delete(
            f"/api/products/{product['id']}/image", headers=other_shop.owner
        )
        assert delete.status_code == 404

    async def test_cashier_may_not_upload_or_delete(self, client, shop) -> None:
        product = await _product(client, shop)
        assert (await _upload(client, shop.cashier, product["id"])).status_code == 403
        delete = await client.delete(f"/api/products/{product['id']}/image", headers=shop.cashier)
        assert delete.status_code == 403
        assert (await _upload(client, {}, product["id"])).status_code == 401


class TestDelete:
    async def test_delete_removes_the_object_and_is_idempotent(
        self, client, shop, cloud_app
    ) -> None:
        product = await _product(client, shop)
        up = (await _upload(client, shop.manager, product["id"])).json()
        response = await client.delete(f"/api/products/{product['id']}/image", headers=shop.manager)
        assert response.status_code == 204
        assert response.content == b""
        got = (await client.get(f"/api/products/{product['id']}", headers=shop.manager)).json()
        assert got["image_url"] is None
        assert got["version"] == up["version"] + 1
        assert not (_storage(cloud_app).root / _key(up["image_url"])).exists()
        again = await client.delete(f"/api/products/{product['id']}/image", headers=shop.manager)
        assert again.status_code == 204
        same = (await client.get(f"/api/products/{product['id']}", headers=shop.manager)).json()
        assert same["version"] == got["version"]

    async def test_delete_clears_an_external_image_url_too(self, client, shop) -> None:
        product = await _product(client, shop)
        await client.patch(
            f"/api/products/{product['id']}",
            json={"version": 1, "image_url": "https://img.example/a.png"},
            headers=shop.manager,
        )
        await client.delete(f"/api/products/{product['id']}/image", headers=shop.manager)
        got = (await client.get(f"/api/products/{product['id']}", headers=shop.manager)).json()
        assert got["image_url"] is None


class TestSignedUrls:
    async def test_tampered_or_expired_urls_are_403(self, client, shop, cloud_app) -> None:
        product = await _product(client, shop)
        url = (await _upload(client, shop.manager, product["id"])).json()["image_url"]
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        sig = query["sig"]
        bad_sig = ("A" if sig[0] != "A" else "B") + sig[1:]
        cases = [
            {"exp": query["exp"], "sig": bad_sig},
            {"exp": str(int(query["exp"]) + 3600), "sig": sig},  # a longer life, not signed
            {"exp": query["exp"]},
            {},
        ]
        for params in cases:
            response = await client.get(parts.path, params=params)
            assert response.status_code == 403, params
            assert response.json()["error"] == "forbidden"

        other = await _product(client, shop, "OTRO-1")
        other_url = (await _upload(client, shop.manager, other["id"], JPEG)).json()["image_url"]
        swapped = urlsplit(other_url).path + "?" + parts.query  # one key's signature, another key
        assert (await client.get(swapped)).status_code == 403

        signer = _storage(cloud_app).signer
        key = _key(url)
        past = signer.expiry(time.time() - 3 * signer.ttl_s)
        sig_past = signer.query(key, now=time.time() - 3 * signer.ttl_s).split("sig=")[1]
        expired = await client.get(parts.path, params={"exp": past, "sig": sig_past})
        assert expired.status_code == 403

    async def test_a_signed_url_for_a_missing_object_is_404(self, client, cloud_app) -> None:
        storage = _storage(cloud_app)
        missing = storage.url("00000000-0000-0000-0000-000000000000/products/x/abc.png")
        assert (await client.get(missing)).status_code == 404
        weird = storage.url("../../etc/passwd.png")  # never a key the cloud makes
        assert (await client.get(weird)).status_code in (403, 404)


class TestListing:
    async def test_list_carries_image_url_only_for_products_with_images(self, client, shop) -> None:
        with_image = await _product(client, shop, "A-1")
        await _product(client, shop, "B-1")
        await _upload(client, shop.manager, with_image["id"])
        page = (await client.get("/api/products", headers=shop.cashier)).json()
        urls = {p["sku"]: p["image_url"] for p in page["items"]}
        assert urls["B-1"] is None
        assert urls["A-1"] is not None
        assert urls["A-1"].startswith(f"/media/{shop.tenant_id}/products/{with_image['id']}/")
        assert all("image_key" not in p for p in page["items"])


class TestRecorded:
    async def test_upload_is_audited_and_fed_to_the_cajas(self, client, shop, cloud_app) -> None:
        product = await _product(client, shop)
        url = (await _upload(client, shop.manager, product["id"])).json()["image_url"]
        sm: SessionMaker = cloud_app.state.sessionmaker
        async with tenant_transaction(sm, shop.tenant_id) as session:
            audits = (
                await session.execute(select(AuditLog).where(AuditLog.entity_type == "products"))
            ).scalars()
            updates = [a for a in audits if a.action == "products.updated"]
            assert any(
                _key(url) in json.dumps(a.after_data)
                and a.extra["path"] == f"/api/products/{product['id']}/image"
                for a in updates
            )
            changes = (
                await session.execute(
                    select(Change).where(
                        Change.entity == "products", Change.entity_id == product["id"]
                    )
                )
            ).scalars()
            assert _key(url) in [c.data.get("image_key") for c in changes]
