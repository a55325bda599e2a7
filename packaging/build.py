"""Build the caja's bundle: dist/stocky-caja/, a onedir PyInstaller app with its VERSION.

    packaging/build.sh [--version 1.2.0] [--dist DIR] [--work DIR]

The version is --version, else $STOCKY_BUILD_VERSION, else pyproject.toml's; it must be a
PEP 440 version (the updater compares them). PyInstaller runs from the build venv (.venv),
with its log in <work>/pyinstaller.log; then packaging/check_bundle.py checks the result and
the bundle's size is printed. No downloads: everything comes from the venv.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from check_bundle import check
from packaging.version import InvalidVersion, Version
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "stocky-caja.spec"
NAME = "stocky-caja"
# PyInstaller's INFO lines that start a stage worth showing.
STAGE = re.compile(r"INFO: (Analyzing \S+|Looking for \S+|Building \S+|Processing \S+|Caching)")

console = Console(stderr=True)


def fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    sys.exit(1)


def build_version(flag: str | None) -> str:
    raw = flag or os.environ.get("STOCKY_BUILD_VERSION")
    if not raw:
        raw = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    try:
        return str(Version(raw))
    except InvalidVersion:
        fail(f"--version / STOCKY_BUILD_VERSION: {raw!r} is not a version like 1.2.0")
        raise  # unreachable; fail exits


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


def run_pyinstaller(version: str, dist: Path, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    log_path = work / "pyinstaller.log"
    command = [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
        "--distpath", str(dist), "--workpath", str(work), str(SPEC),
    ]  # fmt: skip
    env = {**os.environ, "STOCKY_BUILD_VERSION": version}
    with (
        log_path.open("w") as log,
        console.status(f"PyInstaller: building {NAME} {version}") as status,
    ):
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            stage = STAGE.search(line)
            if stage:
                status.update(f"PyInstaller: {stage.group(1)[:90]}")
        code = process.wait()
    if code != 0:
        tail = "".join(log_path.read_text().splitlines(keepends=True)[-25:])
        console.print(tail, markup=False, highlight=False)
        fail(f"PyInstaller failed (exit {code}); the whole log is {log_path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--version", dest="version", help="the bundle's version (PEP 440)")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller's work")
    args = parser.parse_args()
    version = build_version(args.version)
    dist, work = args.dist.resolve(), args.work.resolve()

    started = time.monotonic()
    run_pyinstaller(version, dist, work)
    seconds = time.monotonic() - started
    bundle = dist / NAME
    problems = check(bundle)
    for problem in problems:
        console.print(f"[red]FAIL:[/] {problem}", highlight=False)
    if problems:
        fail(f"the bundle {bundle} is not a caja alone (above)")

    table = Table(title=f"{NAME} {version}", show_header=False)
    table.add_row("Folder", str(bundle))
    table.add_row("Executable", str(bundle / NAME))
    table.add_row("Size", f"{folder_size(bundle) / 1e6:.0f} MB")
    table.add_row("Files", str(sum(1 for f in bundle.rglob("*") if f.is_file())))
    table.add_row("Build time", f"{seconds:.0f} s")
    table.add_row("Check", "no cloud or dev module; NiceGUI, keyring, zeroconf there")
    Console().print(table)


if __name__ == "__main__":
    main()
