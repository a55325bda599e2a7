"""Installers: published to object storage (CLI and function), listed by GET /api/installers
with a working download link on the local folder and on S3 (moto), or at a download URL."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from stocky.cli import app as stocky_cli
from stocky.cloud.config import Settings
from stocky.cloud.installers.manifest import manifest_key, publish
from stocky.cloud.storage.base import ObjectStorage
from tests.cloud.factories import create_shop
from tests.cloud.storage.test_s3 import _bucket, s3_endpoint  # noqa: F401 (a fixture)

DEB = b"!<arch>\n" + os.urandom(300_000)


def _installer(tmp_path: Path, name: str = "stocky-caja_1.4.0_amd64.deb") -> Path:
    path = tmp_path / name
    path.write_bytes(DEB)
    return path


async def _download(client: httpx.AsyncClient, url: str) -> httpx.Response:
    if url.startswith("/"):
        return await client.get(url)  # the local folder's signed /media URL, no bearer
    async with httpx.AsyncClient() as http:
        return await http.get(url)


async def _listing_downloads(client: httpx.AsyncClient, cloud_app, tmp_path: Path) -> None:
    storage: ObjectStorage = cloud_app.state.storage
    shop = await create_shop(cloud_app, "Tienda Instaladores")
    empty = await client.get("/api/installers", headers=shop.owner)
    assert empty.status_code == 200, empty.text
    assert empty.json() == {"installers": [], "missing": ["linux", "windows", "macos"]}

    await publish(storage, "linux", "1.4.0", _installer(tmp_path))
    answer = await client.get("/api/installers", headers=shop.admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["missing"] == ["windows", "macos"]
    [linux] = body["installers"]
    assert linux["os"] == "linux"
    assert linux["version"] == "1.4.0"
    assert linux["file_name"] == "stocky-caja_1.4.0_amd64.deb"
    assert linux["size"] == len(DEB)
    assert linux["sha256"] == hashlib.sha256(DEB).hexdigest()
    got = await _download(client, linux["url"])
    assert got.status_code == 200
    assert got.content == DEB
    assert 'filename="stocky-caja_1.4.0_amd64.deb"' in got.headers["content-disposition"]
    assert got.headers["content-type"] == "application/vnd.debian.binary-package"

    # A newer version replaces it as current.
    await publish(storage, "linux", "1.5.0", _installer(tmp_path, "stocky-caja_1.5.0.deb"))
    [newer] = (await client.get("/api/installers", headers=shop.owner)).json()["installers"]
    assert (newer["version"], newer["file_name"]) == ("1.5.0", "stocky-caja_1.5.0.deb")

    for role in (shop.manager, shop.cashier):
        assert (await client.get("/api/installers", headers=role)).status_code == 403
    assert (await client.get("/api/installers")).status_code == 401


@pytest.mark.asyncio
class TestApi:
    async def test_local_folder(self, client, cloud_app, tmp_path: Path) -> None:
        await _listing_downloads(client, cloud_app, tmp_path)

    async def test_a_broken_manifest_reads_as_not_published(
        self, client, cloud_app, tmp_path: Path
    ) -> None:
        storage: ObjectStorage = cloud_app.state.storage
        shop = await create_shop(cloud_app)
        await storage.put(manifest_key("windows"), b'{"os": "windows"', "application/json")
        body = (await client.get("/api/installers", headers=shop.owner)).json()
        assert body["installers"] == []
        assert "windows" in body["missing"]


@pytest.mark.asyncio
class TestS3:
    @pytest.fixture
    def settings(self, settings: Settings, s3_endpoint: str) -> Settings:  # noqa: F811
        _bucket(s3_endpoint, "installers")
        return settings.model_copy(
            update={
                "object_storage_url": "s3://installers/cloud",
                "object_storage_endpoint": s3_endpoint,
            }
        )

    async def test_presigned_download(self, client, cloud_app, tmp_path: Path) -> None:
        await _listing_downloads(client, cloud_app, tmp_path)


@pytest.mark.asyncio
class TestDownloadUrl:
    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.model_copy(
            update={"installer_download_url": "https://descargas.example.com/stocky/"}
        )

    async def test_links_point_at_the_configured_site(
        self, client, cloud_app, tmp_path: Path
    ) -> None:
        shop = await create_shop(cloud_app)
        storage: ObjectStorage = cloud_app.state.storage
        exe = _installer(tmp_path, "StockySetup-2.0.1.exe")
        manifest = await publish(storage, "windows", "2.0.1", exe, upload=False)
        assert manifest.sha256 == hashlib.sha256(DEB).hexdigest()
        # --manifest-only: the file itself was not uploaded.
        assert not await storage.exists("installers/windows/2.0.1/StockySetup-2.0.1.exe")
        [win] = (await client.get("/api/installers", headers=shop.owner)).json()["installers"]
        assert (
            win["url"] == "https://descargas.example.com/stocky/windows/2.0.1/StockySetup-2.0.1.exe"
        )


class TestCli:
    @pytest.fixture(autouse=True)
    def _local_storage(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in ("STOCKY_MEDIA_DIR", "STOCKY_OBJECT_STORAGE_URL", "STOCKY_DATA_DIR"):
            monkeypatch.delenv(name, raising=False)

    def _run(self, tmp_path: Path, *args: str) -> object:
        return CliRunner().invoke(
            stocky_cli,
            ["cloud", "publish-installer", *args, "--data-dir", str(tmp_path / "cloud")],
        )

    def test_publishes_with_checksum(self, tmp_path: Path) -> None:
        dmg = tmp_path / "Stocky-1.4.0.dmg"
        dmg.write_bytes(DEB)
        result = self._run(tmp_path, str(dmg), "--os", "macos", "--version", "1.4.0")
        assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
        sha = hashlib.sha256(DEB).hexdigest()
        assert sha in result.output  # type: ignore[attr-defined]
        media = tmp_path / "cloud" / "media" / "installers" / "macos"
        manifest = json.loads((media / "current.json").read_text())
        assert manifest["sha256"] == sha
        assert manifest["size"] == len(DEB)
        assert (media / "1.4.0" / "Stocky-1.4.0.dmg").read_bytes() == DEB

    @pytest.mark.parametrize(
        ("name", "os_name", "version", "error"),
        [
            ("s.deb", "solaris", "1.0.0", "--os must be one of linux, windows, macos"),
            ("s.deb", "linux", "uno", "is not a version like 1.4.0"),
            ("s.exe", "linux", "1.0.0", "a linux installer is one of .deb"),
            ("s etup.exe", "windows", "1.0.0", "name the file with letters"),
            ("missing.deb", "linux", "1.0.0", "is not a file"),
        ],
    )
    def test_bad_input_is_one_error_line(
        self, tmp_path: Path, name: str, os_name: str, version: str, error: str
    ) -> None:
        path = tmp_path / name
        if name != "missing.deb":
            path.write_bytes(b"x")
        result = self._run(tmp_path, str(path), "--os", os_name, "--version", version)
        assert result.exit_code == 1
        assert error in " ".join(result.output.split())  # type: ignore[attr-defined]
        assert "Traceback" not in result.output  # type: ignore[attr-defined]
        assert not (tmp_path / "cloud" / "media" / "installers").exists()
