"""The local folder backend and its signed URLs, without a server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pydantic import SecretStr

from stocky.cloud.auth.keys import KeyRing, rotate
from stocky.cloud.config import Settings
from stocky.cloud.storage.factory import build_storage
from stocky.cloud.storage.local import LocalStorage
from stocky.cloud.storage.signing import UrlSigner, derive_secret, key_ring_secrets

KEY = "01a2-t/products/01a2-p/0123abcd.png"


def _signer(secret: bytes = b"s", ttl_s: int = 3600) -> UrlSigner:
    return UrlSigner(lambda: (derive_secret(secret),), ttl_s)


def _parts(query: str) -> tuple[int, str]:
    params = dict(pair.split("=", 1) for pair in query.split("&"))
    return int(params["exp"]), params["sig"]


class TestSigner:
    def test_urls_last_between_one_and_two_windows_and_are_stable_within_one(self) -> None:
        signer = _signer()
        now = 1_800_000_123.0
        exp, _ = _parts(signer.query(KEY, now))
        assert now + 3600 <= exp <= now + 7200
        assert signer.query(KEY, now) == signer.query(KEY, now + 60)
        assert signer.query(KEY, now) != signer.query(KEY, now + 3600)

    def test_verify_refuses_tampering_and_expiry(self) -> None:
        signer = _signer()
        now = time.time()
        exp, sig = _parts(signer.query(KEY, now))
        assert signer.verify(KEY, exp, sig, now)
        assert signer.verify(KEY, exp, sig, exp - 1)
        assert not signer.verify(KEY, exp, sig, exp + 1)  # expired
        assert not signer.verify(KEY, exp + 1, sig, now)  # a longer life
        assert not signer.verify(KEY.replace(".png", ".jpg"), exp, sig, now)  # another key
        assert not signer.verify(KEY, exp, sig[:-1] + ("A" if sig[-1] != "A" else "B"), now)
        assert not signer.verify(KEY, exp, "", now)
        assert not _signer(b"other").verify(KEY, exp, sig, now)  # another secret

    def test_signing_a_catalog_page_is_cheap(self) -> None:
        signer = _signer()
        start = time.perf_counter()
        for i in range(5000):
            signer.query(f"t/products/{i}/abc.png")
        assert time.perf_counter() - start < 0.5  # 100 pages of 50 rows

    def test_urls_survive_a_key_rotation_while_the_old_key_is_in_the_ring(
        self, tmp_path: Path
    ) -> None:
        keys_dir = tmp_path / "keys"
        ring = KeyRing.load_or_create(keys_dir)
        signer = UrlSigner(key_ring_secrets(ring), 3600)
        exp, old_sig = _parts(signer.query(KEY))
        rotate(keys_dir)
        _, new_sig = _parts(signer.query(KEY))
        assert new_sig != old_sig  # the newest key signs
        assert signer.verify(KEY, exp, old_sig)
        assert signer.verify(KEY, exp, new_sig)


class TestLocalStorage:
    @pytest.mark.asyncio
    async def test_put_get_delete(self, tmp_path: Path) -> None:
        storage = LocalStorage(tmp_path / "media", _signer())
        await storage.put(KEY, b"bytes", "image/png")
        assert await storage.get(KEY) == b"bytes"
        assert [p.name for p in (tmp_path / "media" / KEY).parent.iterdir()] == ["0123abcd.png"]
        await storage.put(KEY, b"other", "image/png")  # replaced whole
        assert await storage.get(KEY) == b"other"
        await storage.delete(KEY)
        assert await storage.get(KEY) is None
        await storage.delete(KEY)  # deleting what is gone is fine

    @pytest.mark.asyncio
    @pytest.mark.parametrize(
        "key", ["../x.png", "a/../../x.png", "/etc/x.png", "a/b", "a/b.PNG", "a//b.png", ""]
    )
    async def test_keys_the_cloud_never_makes_are_refused(self, tmp_path: Path, key) -> None:
        storage = LocalStorage(tmp_path / "media", _signer())
        assert storage.path(key) is None
        with pytest.raises(ValueError, match="not a storage key"):
            await storage.put(key, b"x", "image/png")

    def test_url_is_root_relative_unless_a_public_url_is_set(self, tmp_path: Path) -> None:
        assert LocalStorage(tmp_path, _signer()).url(KEY).startswith(f"/media/{KEY}?exp=")
        public = LocalStorage(tmp_path, _signer(), "https://nube.example/")
        assert public.url(KEY).startswith(f"https://nube.example/media/{KEY}?exp=")


class TestSettings:
    def test_default_is_a_media_folder_in_the_data_dir(self, tmp_path: Path) -> None:
        settings = Settings(data_dir=tmp_path / "d")
        storage = build_storage(settings, KeyRing.load_or_create(tmp_path / "keys"))
        assert isinstance(storage, LocalStorage)
        assert storage.root == tmp_path / "d" / "media"
        elsewhere = Settings(data_dir=tmp_path / "d", media_dir=tmp_path / "m")
        other = build_storage(elsewhere, KeyRing.load_or_create(tmp_path / "keys"))
        assert isinstance(other, LocalStorage)
        assert other.root == tmp_path / "m"

    def test_a_media_secret_setting_signs_alike_in_every_process(self, tmp_path: Path) -> None:
        def store(secret: str, keys: str) -> LocalStorage:
            settings = Settings(data_dir=tmp_path, media_secret=SecretStr(secret))
            storage = build_storage(settings, KeyRing.load_or_create(tmp_path / keys))
            assert isinstance(storage, LocalStorage)
            return storage

        one, two, other = store("s1", "k1"), store("s1", "k2"), store("s2", "k1")
        exp, sig = _parts(one.url(KEY).split("?")[1])
        assert two.signer.verify(KEY, exp, sig)
        assert not other.signer.verify(KEY, exp, sig)

    @pytest.mark.parametrize("url", ["s3://", "http://bucket/x", "s3://UPPER/x", "file:///tmp"])
    def test_object_storage_url_must_be_s3(self, url) -> None:
        with pytest.raises(ValueError, match="object_storage_url"):
            Settings(object_storage_url=url)
