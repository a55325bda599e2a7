"""/redoc works with no internet (issue 14): its page names only this server's files, and
the vendored redoc bundle (stocky/cloud/static/redoc) is served and shipped as package data."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

import stocky


@pytest.mark.asyncio
async def test_redoc_loads_only_local_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/redoc")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "cdn." not in page.text
    assert "fonts.googleapis" not in page.text
    assert "http://" not in page.text
    assert "https://" not in page.text
    assets = re.findall(r"""(?:src|href|spec-url)=["']([^"']+)["']""", page.text)
    assert "/redoc-assets/redoc.standalone.js" in assets, page.text
    for asset in assets:
        assert asset.startswith("/"), asset
        answer = await client.get(asset)
        assert answer.status_code == 200, asset
    bundle = await client.get("/redoc-assets/redoc.standalone.js")
    assert len(bundle.content) > 500_000
    assert "javascript" in bundle.headers["content-type"]


def test_the_bundle_and_its_license_are_package_data() -> None:
    folder = Path(stocky.__file__).parent / "cloud" / "static" / "redoc"
    assert (folder / "redoc.standalone.js").stat().st_size > 500_000
    assert "MIT" in (folder / "LICENSE").read_text()
    pyproject = (Path(stocky.__file__).parent.parent / "pyproject.toml").read_text()
    assert '"cloud/static/**/*"' in pyproject
