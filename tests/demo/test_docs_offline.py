"""The cloud's /docs works with no internet: Swagger UI's files come from an installed package."""

from __future__ import annotations

import re

import httpx


def test_docs_page_loads_only_local_assets(live_cloud: str) -> None:
    page = httpx.get(f"{live_cloud}/docs", timeout=10)
    assert page.status_code == 200
    assert "cdn." not in page.text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert len(assets) >= 3, page.text
    for asset in assets:
        assert asset.startswith("/docs-assets/"), asset
        answer = httpx.get(f"{live_cloud}{asset}", timeout=10)
        assert answer.status_code == 200, asset
        assert len(answer.content) > 500, asset
    assert httpx.get(f"{live_cloud}/openapi.json", timeout=10).status_code == 200
