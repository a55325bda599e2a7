"""Write the caja's icon, a PNG drawn here (we have no artwork yet): packaging/icon.py OUT.png

A rounded teal square (the UI's primary color) with a white receipt, written with zlib and
struct alone so that the .deb needs nothing to build but the venv's Python.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

SIZE = 256
TEAL = (0x0F, 0x76, 0x6E)  # stocky.ui.theme.PRIMARY
WHITE = (0xFF, 0xFF, 0xFF)
RADIUS = 48


def _pixel(x: int, y: int) -> tuple[int, int, int, int]:
    # Outside the rounded corners: transparent.
    cx = min(max(x, RADIUS), SIZE - 1 - RADIUS)
    cy = min(max(y, RADIUS), SIZE - 1 - RADIUS)
    if (x - cx) ** 2 + (y - cy) ** 2 > RADIUS**2:
        return (0, 0, 0, 0)
    in_receipt = 72 <= x < 184 and 40 <= y < 216
    # The receipt's printed lines, teal on white.
    on_line = in_receipt and 96 <= x < 160 and any(y0 <= y < y0 + 12 for y0 in (72, 104, 136))
    total = in_receipt and 120 <= x < 160 and 176 <= y < 192
    if in_receipt and not (on_line or total):
        return (*WHITE, 255)
    return (*TEAL, 255)


def png_bytes() -> bytes:
    rows = b"".join(
        b"\x00" + bytes(c for x in range(SIZE) for c in _pixel(x, y)) for y in range(SIZE)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    Path(sys.argv[1]).write_bytes(png_bytes())
