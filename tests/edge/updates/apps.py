"""Small real app folders for update tests: a launcher script that runs the real stocky caja
code with the venv's python, plus a version file, as PyInstaller's onedir would ship it.

Building the PyInstaller bundle twice is too slow for the suite; the update machinery only
sees a folder with an executable, which is what these are.
"""

from __future__ import annotations

import functools
import http.server
import socketserver
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENTRY = "stocky-caja"


def build_app(folder: Path, version: str, *, env: dict[str, str] | None = None) -> Path:
    """An app folder whose executable runs `python -m stocky "$@"`; `env` is baked in, as a
    build's configuration would be."""
    folder.mkdir(parents=True)
    exports = "".join(f"export {key}='{value}'\n" for key, value in (env or {}).items())
    script = folder / ENTRY
    script.write_text(f'#!/bin/sh\n{exports}exec "{sys.executable}" -m stocky "$@"\n')
    script.chmod(0o755)
    (folder / "VERSION").write_text(version + "\n")
    return folder


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def static_server(root: Path) -> Iterator[str]:
    """A plain static file server on 127.0.0.1, as any static host would serve a repo."""
    handler = functools.partial(_Quiet, directory=str(root))
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
