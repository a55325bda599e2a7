"""Offline shows at once (issue 12, item 5): a hung cloud (SIGSTOP) and a refused link.

A real `stocky edge run` with its default timeouts against a real `stocky cloud serve`
process; Chromium watches the status bar.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.edge.ui.test_journey import (
    ARROZ,
    LECHE,
    _activate,
    _caja,
    _log_in,
    _open_shift,
    _seed,
    _sell,
    _shot,
    expect,
)
from tests.edge.ui.test_journey import page as chromium_tab
from tests.fixtures.cloud_process import CloudProcess

pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs chromium")
# The brief: "Sin conexión" within 10 s of the link hanging or being refused.
DEADLINE_MS = 10_000
OFFLINE = re.compile("sin conexión", re.IGNORECASE)


@pytest.fixture
def tab() -> Iterator[Any]:
    yield from chromium_tab.__wrapped__()  # type: ignore[attr-defined]


def _background(locator: Any) -> str:
    return str(locator.evaluate("el => getComputedStyle(el).backgroundColor"))


def test_hung_then_refused_cloud_shows_offline_within_10_s(
    cloud_process: CloudProcess, tmp_path: Path, tab: Any
) -> None:
    page = tab
    shop = _seed(cloud_process.url)
    tid = page.get_by_test_id
    link, pending = tid("status-online"), tid("status-pending")
    with _caja(tmp_path) as caja:  # default STOCKY_EDGE_* timeouts: nothing sped up
        page.goto(f"{caja}/")
        _activate(page, cloud_process.url, shop.code)
        _log_in(page)
        _open_shift(page, "100000")
        _sell(page, (ARROZ,), "$ 4.500", "5000")
        expect(link).to_contain_text("En línea")
        expect(pending).to_have_text("0 pendientes")
        online_bg = _background(link)

        assert cloud_process.proc is not None
        os.killpg(cloud_process.proc.pid, signal.SIGSTOP)  # the link hangs: no RST, no answer
        stopped = time.monotonic()
        try:
            expect(link).to_contain_text(OFFLINE, timeout=DEADLINE_MS)
            hung_s = time.monotonic() - stopped
            _sell(page, (LECHE,), "$ 3.900", "3900")
            expect(pending).to_contain_text("1 pendiente")
            expect(pending).to_contain_text("la más antigua hace")
            # A solid red badge on the dark bar, not a grey word.
            # (Tailwind's red-600 is oklch(0.577 0.245 27.325) in Chromium's computed style.)
            offline_bg = _background(link)
            assert offline_bg.startswith("oklch(0.577 0.245"), offline_bg
            assert offline_bg != online_bg
            _shot(page, "20-offline-hung-cloud.png", no_toasts=True)
        finally:
            os.killpg(cloud_process.proc.pid, signal.SIGCONT)
        expect(pending).to_have_text("0 pendientes", timeout=30_000)
        expect(link).to_contain_text("En línea")

        cloud_process.kill()  # connection refused from now on
        killed = time.monotonic()
        expect(link).to_contain_text(OFFLINE, timeout=DEADLINE_MS)
        refused_s = time.monotonic() - killed
        _shot(page, "21-offline-refused.png", no_toasts=True)
    print(f"\nhung -> sin conexión: {hung_s:.1f} s, refused -> sin conexión: {refused_s:.1f} s")
