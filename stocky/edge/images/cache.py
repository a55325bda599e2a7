"""The caja's copy of its products' images, fetched from the cloud in the background.

An uploaded image's key names its content (tenant/products/<product>/<sha256 prefix>.<ext>,
stocky.cloud.catalog.images), so a file already here under its key is never fetched again,
and a product whose image changes names a new key. Files no active product names any more
are removed. A pass runs at start, after local commits (a pull's, at most one per couple of
seconds) and every half minute; fetches run a few at a time, and a failed one is tried again
on the next pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from stocky.edge.store import Store

log = logging.getLogger(__name__)

DIRNAME = "images"
# Exactly the keys the cloud makes for product images: nothing else is fetched or served.
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
KEY_PATTERN = re.compile(rf"^{_UUID}/products/{_UUID}/[0-9a-f]{{32}}\.(jpg|png|webp)$")
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
MAX_IMAGE_BYTES = 8 * 1024 * 1024  # above the cloud's own limit: a larger answer is not ours
CLOUD_PATH = "/api/images/"
LOCAL_PATH = "/local/api/images/"


def valid_key(key: str) -> bool:
    return KEY_PATTERN.fullmatch(key) is not None


def images_dir(data_dir: Path) -> Path:
    return data_dir / DIRNAME


def cached_path(data_dir: Path, key: str | None) -> Path | None:
    """The cached file of a key, or None when the key is not an image key or not cached."""
    if key is None or not valid_key(key):
        return None
    path = images_dir(data_dir) / key
    return path if path.is_file() else None


def local_url(key: str) -> str:
    """What a screen's <img src> loads the cached image from (the local API, loopback)."""
    return LOCAL_PATH + key


def wanted_keys(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT DISTINCT image_key FROM products WHERE image_key IS NOT NULL AND active = 1"
    ).fetchall()
    return {str(row[0]) for row in rows if valid_key(str(row[0]))}


def image_keys(conn: sqlite3.Connection, product_ids: list[str]) -> dict[str, str]:
    """product id -> image key, for the products of a screen's list that have one."""
    if not product_ids:
        return {}
    marks = ", ".join("?" for _ in product_ids)
    rows = conn.execute(
        f"SELECT id, image_key FROM products WHERE image_key IS NOT NULL AND id IN ({marks})",
        product_ids,
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows if valid_key(str(r[1]))}


@dataclass
class Pass:
    fetched: int = 0
    failed: int = 0
    removed: int = 0
    kept: int = 0


class ImageCache:
    """start/stop around one loop; `run_once` is one pass (tests call it directly)."""

    def __init__(
        self,
        store: Store,
        http: httpx.AsyncClient,
        data_dir: Path,
        *,
        concurrency: int = 4,
        every_s: float = 30.0,
        min_gap_s: float = 2.0,
    ) -> None:
        self.store = store
        self.http = http  # the sync engine's client: the cloud's base URL and the caja's bearer
        self.root = images_dir(data_dir)
        self.every_s = every_s
        self.min_gap_s = min_gap_s
        self._limit = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._on_commit: Callable[[], None] | None = None

    def nudge(self) -> None:
        """Run a pass now (a pull just brought product changes)."""
        self._wake.set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def on_commit() -> None:  # the writer thread: a pull may have brought new images
            loop.call_soon_threadsafe(self._wake.set)

        self._on_commit = on_commit
        self.store.add_commit_listener(on_commit)
        self._task = asyncio.create_task(self._loop(), name="edge.images")

    async def stop(self) -> None:
        if self._on_commit is not None:
            self.store.remove_commit_listener(self._on_commit)
            self._on_commit = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        pruned_at = float("-inf")
        while True:
            # Walking the folder for strays waits for the periodic pass, not every sale's.
            now = asyncio.get_running_loop().time()
            prune = now - pruned_at >= self.every_s
            try:
                await self.run_once(prune=prune)
                if prune:
                    pruned_at = now
            except Exception:  # a pass never ends the loop: the next one tries again
                log.exception("image cache pass failed")
            # Commits come in bursts (a pull page, a sale): one pass per gap at most.
            await asyncio.sleep(self.min_gap_s)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.every_s)

    async def run_once(self, *, prune: bool = True) -> Pass:
        wanted = await self.store.aread(wanted_keys)
        result = Pass()
        missing = [key for key in sorted(wanted) if not (self.root / key).is_file()]
        result.kept = len(wanted) - len(missing)
        outcomes = await asyncio.gather(*(self._fetch(key) for key in missing))
        result.fetched = sum(outcomes)
        result.failed = len(outcomes) - result.fetched
        if prune:
            result.removed = await asyncio.to_thread(self._prune, wanted)
        return result

    async def _fetch(self, key: str) -> bool:
        async with self._limit:
            try:
                async with self.http.stream("GET", CLOUD_PATH + key, timeout=30.0) as answer:
                    if answer.status_code != 200:
                        log.info("image %s: the cloud answered %s", key, answer.status_code)
                        return False
                    data = bytearray()
                    async for chunk in answer.aiter_bytes():
                        data += chunk
                        if len(data) > MAX_IMAGE_BYTES:
                            return False
            except httpx.HTTPError as exc:  # offline: the next pass tries again
                log.info("image %s not fetched: %s", key, exc)
                return False
        await asyncio.to_thread(self._write, key, bytes(data))
        return True

    def _write(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a screen never loads half an image.
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def _prune(self, wanted: set[str]) -> int:
        if not self.root.is_dir():
            return 0
        removed = 0
        for path in self.root.rglob("*"):
            if not path.is_file():
                continue
            key = path.relative_to(self.root).as_posix()
            if key not in wanted:
                path.unlink(missing_ok=True)
                removed += 1
        return removed
