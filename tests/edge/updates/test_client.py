"""The update client against a real static server and a real signed repository: a good
update is staged in the other slot; a corrupted archive and metadata signed by a key the
shipped root does not trust are refused with their reason; a down server fails quietly."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from stocky.edge.updates.client import check_and_stage
from stocky.edge.updates.slots import Install, init_install
from stocky.release.repository import archive_name, init_keys, publish
from tests.edge.updates.apps import ENTRY, build_app, static_server


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    init_keys(tmp_path / "keys")
    return tmp_path / "keys"


@pytest.fixture
def install(tmp_path: Path, keys: Path) -> Install:
    v1 = build_app(tmp_path / "build-1", "1.2.0")
    return init_install(
        tmp_path / "caja", v1, version="1.2.0", entry=ENTRY, trusted_root=keys / "root.json"
    )


def _publish(tmp_path: Path, keys: Path, version: str) -> Path:
    bundle = build_app(tmp_path / f"build-{version}", version)
    return publish(
        bundle=bundle, version=version, channel="stable", repo_dir=tmp_path / "repo", keys_dir=keys
    )


def test_a_good_update_is_staged_in_the_other_slot(
    tmp_path: Path, keys: Path, install: Install
) -> None:
    _publish(tmp_path, keys, "1.3.0")
    with static_server(tmp_path / "repo") as url:
        result = check_and_stage(install, update_url=url, channel="stable")
        assert (result.outcome, result.version) == ("ready", "1.3.0"), result.message
        again = check_and_stage(install, update_url=url, channel="stable")
    assert again.outcome == "ready"
    state = install.load()
    assert state.current == "a"
    assert state.ready == {"slot": "b", "version": "1.3.0"}
    assert install.pointed() == "a"  # staged, not switched
    assert install.manifest("b").version == "1.3.0"
    assert (install.slot_dir("b") / "VERSION").read_text() == "1.3.0\n"
    assert (install.entry("b")).stat().st_mode & 0o100


def test_a_corrupted_download_is_refused(tmp_path: Path, keys: Path, install: Install) -> None:
    archive = _publish(tmp_path, keys, "1.3.0")
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))
    with static_server(tmp_path / "repo") as url:
        result = check_and_stage(install, update_url=url, channel="stable")
    assert result.outcome == "refused"
    assert "hash" in result.message
    assert install.load().ready is None
    assert install.manifest("a").version == "1.2.0"
    assert not (install.slot_dir("b") / "VERSION").exists()


def test_metadata_signed_by_an_untrusted_key_is_refused(
    tmp_path: Path, keys: Path, install: Install
) -> None:
    other_keys = tmp_path / "other-keys"
    init_keys(other_keys)
    bundle = build_app(tmp_path / "build-evil", "9.0.0")
    publish(
        bundle=bundle,
        version="9.0.0",
        channel="stable",
        repo_dir=tmp_path / "repo",
        keys_dir=other_keys,
    )
    with static_server(tmp_path / "repo") as url:
        result = check_and_stage(install, update_url=url, channel="stable")
    assert result.outcome == "refused"
    assert "signature" in result.message
    assert install.load().ready is None
    assert not (install.slot_dir("b") / "VERSION").exists()
    assert not (tmp_path / "caja" / "tuf" / "downloads" / archive_name("9.0.0")).exists()


def test_a_down_update_server_fails_quietly(install: Install) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = check_and_stage(install, update_url=f"http://127.0.0.1:{port}", channel="stable")
    assert result.outcome == "unreachable"
    assert str(port) in result.message
    assert install.load().ready is None


@contextlib.contextmanager
def _tiny_disk(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True)
    try:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_a_full_disk_leaves_the_running_slot_intact(tmp_path: Path, keys: Path) -> None:
    """The download fits, its extraction does not: a clear message, slot a untouched, no
    half-extracted folder left behind."""
    with _tiny_disk(tmp_path / "disk", "1m") as disk:
        v1 = build_app(tmp_path / "build-1", "1.2.0")
        install = init_install(
            disk / "caja", v1, version="1.2.0", entry=ENTRY, trusted_root=keys / "root.json"
        )
        big = build_app(tmp_path / "build-1.3.0", "1.3.0")
        (big / "payload.bin").write_bytes(os.urandom(600 * 1024))  # does not compress
        publish(
            bundle=big,
            version="1.3.0",
            channel="stable",
            repo_dir=tmp_path / "repo",
            keys_dir=keys,
        )
        with static_server(tmp_path / "repo") as url:
            result = check_and_stage(install, update_url=url, channel="stable")
        assert result.outcome == "failed"
        assert "no space left" in result.message
        assert install.load().ready is None
        assert install.pointed() == "a"
        assert install.manifest("a").version == "1.2.0"
        assert (install.slot_dir("a") / "VERSION").read_text() == "1.2.0\n"
        assert not [p for p in (disk / "caja" / "slots").iterdir() if p.name.startswith(".")]
        assert not list((disk / "caja" / "tuf" / "downloads").iterdir())
