"""Every storage operation on both backends: the local folder and S3 (moto's server)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from stocky.cloud.storage.base import ObjectNotFound, ObjectStorage, valid_key, valid_prefix
from stocky.cloud.storage.local import LocalStorage
from stocky.cloud.storage.s3 import S3Storage
from stocky.cloud.storage.signing import UrlSigner, derive_secret
from tests.cloud.storage.test_s3 import _bucket, s3_endpoint  # noqa: F401 (a fixture)

BIG = os.urandom(9 * 1024 * 1024 + 17)  # past boto3's 8 MB multipart threshold


@pytest_asyncio.fixture(params=["local", "s3"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ObjectStorage]:
    if request.param == "local":
        signer = UrlSigner(lambda: (derive_secret(b"s"),), 3600)
        yield LocalStorage(tmp_path / "media", signer)
        return
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"ops-{request.node.name.split('[')[0][-20:].replace('_', '-')}"
    _bucket(endpoint, bucket)
    yield S3Storage(bucket, "pre/", ttl_s=3600, endpoint_url=endpoint)


def test_key_rules() -> None:
    for good in (
        "t/products/p/0a1b.png",
        "t/backups/sede/2026-12-04T12-00-00.db.gz",
        "t/backups/sede/x.db",
        "updates/targets/stocky-1.2.3.tar.gz",
        "updates/metadata/root.json",
        "updates/targets/stocky-1.2.3.patch",
        "installers/linux/1.2.3/stocky-1.2.3.deb",
        "installers/linux/1.2.3/Stocky-1.2.3-x86_64.AppImage",
        "installers/windows/1.2.3/stocky-setup.exe",
        "installers/macos/1.2.3/Stocky.dmg",
        "installers/macos/1.2.3/Stocky.zip",
    ):
        assert valid_key(good), good
    for bad in (
        "../etc/passwd.png",
        "t/../../x.png",
        "t/..png",
        "/abs/x.png",
        "t//x.png",
        "t/.hidden.png",
        "t/x.png/",
        "t/x.sh",
        "t/x.PNG",
        "t/x.appimage",
        "t\\x.png",
        "t/x y.png",
        ".png",
        "t/" + "a" * 200 + ".png",
        "",
    ):
        assert not valid_key(bad), bad
    assert valid_prefix("")
    assert valid_prefix("t/backups/")
    assert not valid_prefix("t/backups")
    assert not valid_prefix("../")
    assert not valid_prefix("/t/")


@pytest.mark.asyncio
class TestOperations:
    async def test_put_file_and_get_file_large(
        self, storage: ObjectStorage, tmp_path: Path
    ) -> None:
        src = tmp_path / "src.db.gz"
        src.write_bytes(BIG)
        moved: list[int] = []
        key = "t/backups/s1/big.db.gz"
        info = await storage.put_file(key, src, progress=moved.append)
        assert (info.size, info.sha256) == (len(BIG), hashlib.sha256(BIG).hexdigest())
        assert info.content_type == "application/gzip"
        assert sum(moved) == len(BIG)
        dest = tmp_path / "out" / "copy.db.gz"
        got = await storage.get_file(key, dest)
        assert got is not None
        assert got.sha256 == info.sha256
        assert dest.read_bytes() == BIG
        assert [p.name for p in dest.parent.iterdir()] == ["copy.db.gz"]  # nothing left aside

    async def test_put_stream_stream_head_exists(self, storage: ObjectStorage) -> None:
        key = "updates/targets/stocky-1.0.0.tar.gz"
        chunks = [b"a" * 1000, b"", b"b" * 3000, b"c"]
        info = await storage.put_stream(key, iter(chunks))
        data = b"".join(chunks)
        assert (info.size, info.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert [len(c) for c in [c async for c in storage.stream(key, chunk_size=1500)]] == [
            1500,
            1500,
            1001,
        ]
        head = await storage.head(key)
        assert head is not None
        assert (head.size, head.content_type) == (len(data), "application/gzip")
        assert head.modified is not None
        assert await storage.exists(key)
        assert await storage.get(key) == data

    async def test_missing_objects(self, storage: ObjectStorage, tmp_path: Path) -> None:
        key = "t/backups/none/x.db"
        assert await storage.get(key) is None
        assert await storage.head(key) is None
        assert not await storage.exists(key)
        assert await storage.get_file(key, tmp_path / "x.db") is None
        assert not (tmp_path / "x.db").exists()
        with pytest.raises(ObjectNotFound):
            [c async for c in storage.stream(key)]
        await storage.delete(key)  # idempotent

    async def test_list_by_prefix(self, storage: ObjectStorage) -> None:
        for key in ("t/b/s1/1.db", "t/b/s1/2.db", "t/b/s10/1.db", "t/i/a.png"):
            await storage.put(key, b"x" * len(key), "application/octet-stream")
        assert [o.key for o in await storage.list("t/b/s1/")] == ["t/b/s1/1.db", "t/b/s1/2.db"]
        assert [o.key for o in await storage.list("t/b/")] == [
            "t/b/s1/1.db",
            "t/b/s1/2.db",
            "t/b/s10/1.db",
        ]
        assert [o.size for o in await storage.list("t/i/")] == [len("t/i/a.png")]
        assert len(await storage.list()) == 4
        assert await storage.list("nothing/") == []

    async def test_bad_keys_are_refused_before_any_io(
        self, storage: ObjectStorage, tmp_path: Path
    ) -> None:
        src = tmp_path / "f.deb"
        src.write_bytes(b"deb")
        with pytest.raises(ValueError, match="not a storage key"):
            await storage.put_file("../f.deb", src)
        with pytest.raises(ValueError, match="not a storage key"):
            await storage.head("a/../../f.deb")
        with pytest.raises(ValueError, match="not a storage prefix"):
            await storage.list("../")
        with pytest.raises(ValueError, match="not a storage key"):
            [c async for c in storage.stream("x/../y.json")]


@pytest.mark.asyncio
async def test_s3_installer_downloads_as_a_file(s3_endpoint: str) -> None:  # noqa: F811
    _bucket(s3_endpoint, "dls")
    storage = S3Storage("dls", "", ttl_s=3600, endpoint_url=s3_endpoint)
    key = "installers/linux/1.0.0/stocky-1.0.0.deb"
    await storage.put_stream(key, [b"!<arch>\n"])
    async with httpx.AsyncClient() as http:
        answer = await http.get(storage.url(key))
    assert answer.content == b"!<arch>\n"
    assert answer.headers["content-type"] == "application/vnd.debian.binary-package"
    assert 'filename="stocky-1.0.0.deb"' in answer.headers["content-disposition"]
    # The client is built for a non-AWS store: checksums only when an operation needs one.
    config = storage._client.meta.config
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
