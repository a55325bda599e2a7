"""The bundle's own commands, `stocky-caja version` and `stocky-caja self-check`.

Frozen apps lose what is found by name at run time rather than imported: keyring's backends
(entry points in its package metadata), zeroconf's compiled submodules, NiceGUI's static
files, SQLCipher's extension. `self-check` looks for each the way the caja will, so a bundle
missing one fails in CI instead of at a store.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import typer

VERSION_FILE = "VERSION"


def bundle_dir() -> Path | None:
    """The bundle's top folder (where the executable and VERSION are), None from source."""
    if not getattr(sys, "frozen", False):
        return None
    # resolve(): started through /usr/bin/stocky-caja, the .deb's symlink to /opt/stocky-caja.
    return Path(sys.executable).resolve().parent


def bundle_version() -> str:
    folder = bundle_dir()
    if folder is None:
        return "source"
    try:
        return (folder / VERSION_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return "unknown"


def _keyring() -> dict[str, Any]:
    from importlib.metadata import entry_points

    import keyring
    import keyring.backends.SecretService  # (collected, whatever this box offers)

    declared = sorted(ep.name for ep in entry_points(group="keyring.backends"))
    # On a box without a Secret Service (CI, a kiosk with no D-Bus session) keyring falls back
    # to its fail backend: that is not a broken bundle; the store falls back too.
    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    return {
        "ok": bool(declared),
        "backends_declared": declared,
        "backend": name,
        "usable": not name.startswith("keyring.backends.fail"),
    }


def _nicegui() -> dict[str, Any]:
    import nicegui

    root = Path(nicegui.__file__).parent
    static = root / "static"
    files = sum(1 for _ in static.rglob("*")) if static.is_dir() else 0
    return {"ok": files > 0 and (root / "templates").is_dir(), "static_files": files}


def _sqlcipher() -> dict[str, Any]:
    if sys.platform != "linux":  # sqlcipher3-binary ships Linux wheels only (pyproject)
        return {"ok": True, "skipped": sys.platform}
    sqlcipher3 = importlib.import_module("sqlcipher3")
    db = sqlcipher3.connect(":memory:")
    try:
        version = db.execute("PRAGMA cipher_version").fetchone()
    finally:
        db.close()
    return {"ok": bool(version and version[0]), "cipher_version": version[0] if version else None}


def _imports(*names: str) -> dict[str, Any]:
    for name in names:
        importlib.import_module(name)
    return {"ok": True, "modules": list(names)}


CHECKS = {
    "keyring": _keyring,
    "nicegui": _nicegui,
    "sqlcipher": _sqlcipher,
    "zeroconf": lambda: _imports("zeroconf", "zeroconf.asyncio", "zeroconf._utils.ipaddress"),
    "uvicorn": lambda: _imports("uvicorn", "uvicorn.protocols.http.h11_impl", "uvicorn.loops.auto"),
    "webview": lambda: _imports("webview"),
    "caja": lambda: _imports("stocky.edge.runtime", "stocky.edge.ui.app"),
}


def self_check() -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name, check in CHECKS.items():
        try:
            results[name] = check()
        except Exception as exc:  # each part reports its own failure, the others still run
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return results


def add_bundle_commands(app: typer.Typer) -> None:
    @app.command("version")
    def version() -> None:
        """Print this bundle's version."""
        typer.echo(bundle_version())

    @app.command("self-check")
    def self_check_command() -> None:
        """Check the parts a frozen caja needs (JSON; exit 1 if one is missing)."""
        results = self_check()
        typer.echo(
            json.dumps({"version": bundle_version(), "checks": results}, indent=2, sort_keys=True)
        )
        if not all(part["ok"] for part in results.values()):
            raise typer.Exit(1)
