"""Check a built bundle: none of the cloud's code or dependencies, and the caja's parts there.

    .venv/bin/python packaging/check_bundle.py dist/stocky-caja

Reads what PyInstaller put in the bundle, not what the spec asked for: the modules of the
PYZ archive inside the executable, and the files under _internal (extension modules,
package data, .dist-info metadata). Exits 1 naming every cloud module found, or every caja
part missing. Needs PyInstaller (the build venv) to read the archive.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from cloud_only import CLOUD_ONLY, DEV_ONLY
from PyInstaller.archive.readers import CArchiveReader

EXECUTABLE = "stocky-caja.exe" if sys.platform == "win32" else "stocky-caja"

# If these are missing the bundle is broken, and the exclusion check above proved nothing.
REQUIRED_MODULES = (
    "stocky.edge.cli",
    "stocky.edge.runtime",
    "stocky.edge.ui.app",
    "nicegui",
    "uvicorn.protocols.http.h11_impl",
    "keyring.backends.SecretService",
    "zeroconf",
    "socketio",
)
REQUIRED_FILES = ("nicegui/static", "nicegui/templates", "keyring-*.dist-info/entry_points.txt")


def _matches(name: str, banned: tuple[str, ...]) -> bool:
    return any(name == b or name.startswith(b + ".") for b in banned)


def archive_modules(executable: Path) -> set[str]:
    """Every module name in the PYZ archive embedded in the executable."""
    package = CArchiveReader(str(executable))
    pyz = package.open_embedded_archive("PYZ.pyz")
    return set(pyz.toc) | {name for name, entry in package.toc.items() if entry[-1] in "ms"}


def file_top_names(internal: Path) -> dict[str, str]:
    """What each top entry of _internal belongs to, as an import name: its path by name."""
    names: dict[str, str] = {}
    for entry in internal.iterdir():
        # SQLAlchemy-2.0.1.dist-info, psycopg_binary.libs, _cffi_backend.cpython-311-...so
        stem = re.split(r"[-.]", entry.name, maxsplit=1)[0]
        names[stem.lower().replace("-", "_")] = entry.name
    stocky = internal / "stocky"
    if stocky.is_dir():
        for sub in stocky.iterdir():
            names[f"stocky.{sub.name}"] = f"stocky/{sub.name}"
    return names


def check(bundle: Path) -> list[str]:
    problems: list[str] = []
    executable = bundle / EXECUTABLE
    internal = bundle / "_internal"
    if not executable.is_file() or not internal.is_dir():
        return [f"{bundle} is not a onedir bundle ({EXECUTABLE} and _internal/ expected)"]
    banned = CLOUD_ONLY + DEV_ONLY
    modules = archive_modules(executable)
    found: dict[str, int] = {}
    for module in modules:
        for b in banned:
            if _matches(module, (b,)):
                found[b] = found.get(b, 0) + 1
    problems += [f"{b} is in the bundle ({n} modules)" for b, n in sorted(found.items())]
    for name, path in sorted(file_top_names(internal).items()):
        if _matches(name, banned):
            problems.append(f"file _internal/{path} is in the bundle")
    problems += [f"module {m} is missing" for m in REQUIRED_MODULES if m not in modules]
    for pattern in REQUIRED_FILES:
        if not any(internal.glob(pattern)):
            problems.append(f"_internal/{pattern} is missing")
    if not (bundle / "VERSION").is_file():
        problems.append("VERSION is missing")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("bundle", type=Path, help="the bundle's folder, like dist/stocky-caja")
    args = parser.parse_args()
    problems = check(args.bundle)
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)  # noqa: T201  (a CI script)
    if problems:
        sys.exit(1)
    print(f"{args.bundle}: no cloud or dev module inside; the caja's parts are there")  # noqa: T201


if __name__ == "__main__":
    main()
