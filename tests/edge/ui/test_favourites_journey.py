"""Favourites at the counter: products without a barcode, set per sede in the cloud, tapped
into the sale (a weighed one asks its weight). Screenshot 22-favourites.png."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from tests.edge.ui.test_journey import (
    _activate,
    _log_in,
    _seed,
    _shot,
    caja_url,
    page,
    pytestmark,
)
from tests.fixtures.cloud_admin import CloudAdmin

__all__ = ["caja_url", "page", "pytestmark"]


def _product_ids(url: str, headers: dict[str, str]) -> dict[str, str]:
    response = httpx.get(f"{url}/api/products", params={"limit": 50}, headers=headers)
    assert response.status_code == 200, response.text
    return {p["sku"]: p["id"] for p in response.json()["items"]}


def test_favourites_go_into_the_sale(live_cloud: str, caja_url: str, page: Any) -> None:
    shop = _seed(live_cloud)
    admin = CloudAdmin(live_cloud, shop.headers["Authorization"].removeprefix("Bearer "))
    pan = admin.product(sku="PAN-1", name="Pan francés", price="500", unit="unit")
    ids = _product_ids(live_cloud, shop.headers)
    favourites = [pan, ids["QUESO-K"]]
    edit = httpx.patch(
        f"{live_cloud}/api/sedes/{shop.sede}",
        json={"config": {"favourites": favourites}},
        headers=shop.headers,
    )
    assert edit.status_code == 200, edit.text
    refused = httpx.patch(
        f"{live_cloud}/api/sedes/{shop.sede}",
        json={"config": {"favourites": ["not-a-product"]}},
        headers=shop.headers,
    )
    assert refused.status_code == 422
    assert "favourites" in refused.json()["message"]

    tid = page.get_by_test_id
    page.goto(f"{caja_url}/")
    _activate(page, live_cloud, shop.code)
    _log_in(page)
    expect(tid("favourites")).to_be_visible()
    tid("favourite-PAN-1").click()
    tid("favourite-PAN-1").click()
    tid("favourite-QUESO-K").click()
    tid("favourite-weight").fill("0,25")
    tid("favourite-weight").press("Enter")
    expect(tid("cart-line")).to_have_count(2)
    # 2 x 500 + 0,25 kg x 24.000
    expect(tid("cart-total")).to_have_text("$ 7.000")
    _shot(page, "22-favourites.png", no_toasts=True)
