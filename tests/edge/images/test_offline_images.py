"""A product image uploaded through the cloud's API reaches a live caja (`stocky edge run`
against `stocky cloud serve`), and stays on its screen after the cloud is gone: the local
route serves the bytes and the POS suggestion shows an <img> loaded from it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.edge.ui.test_journey import _activate, _caja, _log_in, _open_shift, _seed, expect
from tests.edge.ui.test_journey import page as chromium_tab
from tests.fixtures.cloud_process import CloudProcess

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs chromium")

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92"
    b"\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def tab() -> Any:
    yield from chromium_tab.__wrapped__()  # type: ignore[attr-defined]


def _cached(data_dir: Path, timeout_s: float = 60.0) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [p for p in (data_dir / "images").rglob("*.png") if p.is_file()]
        if found:
            return found[0]
        time.sleep(0.25)
    raise AssertionError(f"no image cached under {data_dir / 'images'} in {timeout_s} s")


def test_image_shows_offline(cloud_process: CloudProcess, tmp_path: Path, tab: Any) -> None:
    url = cloud_process.url
    shop = _seed(url)
    products = httpx.get(f"{url}/api/products", params={"q": "Arroz"}, headers=shop.headers)
    arroz = next(p for p in products.json()["items"] if p["sku"] == "ARROZ-1")
    up = httpx.put(
        f"{url}/api/products/{arroz['id']}/image",
        files={"file": ("arroz.png", PNG, "image/png")},
        headers=shop.headers,
        timeout=30,
    )
    assert up.status_code == 200, up.text

    page = tab
    with _caja(tmp_path) as caja:
        page.goto(f"{caja}/")
        _activate(page, url, shop.code)
        _log_in(page)
        _open_shift(page, "100000")
        cached = _cached(tmp_path / "caja")
        key = cached.relative_to(tmp_path / "caja" / "images").as_posix()
        assert f"/products/{arroz['id']}/" in key
        assert cached.read_bytes() == PNG

        cloud_process.kill()  # from now on the caja has only its own copy
        local = httpx.get(f"{caja}/local/api/images/{key}", timeout=30)
        assert local.status_code == 200
        assert local.content == PNG
        assert local.headers["content-type"] == "image/png"

        page.get_by_test_id("scan").fill("Arroz Diana")
        image = page.get_by_test_id("suggestion-image").locator("img")
        expect(image).to_have_attribute("src", f"/local/api/images/{key}", timeout=30_000)
        page.wait_for_function(
            "el => el.complete && el.naturalWidth > 0", arg=image.element_handle(), timeout=30_000
        )
        page.screenshot(path=str(tmp_path / "offline-image.png"))
