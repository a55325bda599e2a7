"""The caja's clock health in its status JSON (issue 17, item 4): the offset the last ping
measured, and clock_skewed when it is past clock_skew_threshold_seconds (default 2 min); the
status bar's warning text in both languages. Offsets are written to a real store as the
network monitor writes them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from stocky.edge.config import EdgeSettings
from stocky.edge.sync.state import set_state
from stocky.edge.sync.status import caja_status, status_json
from stocky.ui.clock_health import clock_skew_text, format_offset
from stocky.ui.i18n import language as current_language
from stocky.ui.i18n import set_language
from tests.edge.factories import Caja, caja

__all__ = ["caja"]  # the fixture
THREE_MIN_12_S = 192_000


def _offset(caja: Caja, offset_ms: int) -> None:
    caja.store.write(lambda conn: set_state(conn, clock_offset_ms=offset_ms))


def test_never_measured_is_not_skewed(caja: Caja) -> None:
    status = caja.store.read(caja_status)
    assert status["clock_offset_ms"] is None
    assert status["clock_skewed"] is False


@pytest.mark.parametrize(
    ("offset_ms", "skewed"),
    [(THREE_MIN_12_S, True), (-THREE_MIN_12_S, True), (30_000, False), (-30_000, False)],
)
def test_past_two_minutes_either_way_is_skewed(caja: Caja, offset_ms: int, skewed: bool) -> None:
    _offset(caja, offset_ms)
    status = caja.store.read(caja_status)
    assert status["clock_offset_ms"] == offset_ms
    assert status["clock_skewed"] is skewed
    assert status["clock_drift_warning"] is skewed


def test_the_threshold_is_the_caja_setting(caja: Caja, tmp_path: Path) -> None:
    _offset(caja, 30_000)
    caja.store.close()  # the CLI reads the file, as it does beside a running caja
    data_dir = tmp_path / "data"
    default = json.loads(status_json(EdgeSettings(data_dir=data_dir)))
    assert default["clock_skewed"] is False
    strict = EdgeSettings(data_dir=data_dir, clock_skew_threshold_seconds=20)
    assert json.loads(status_json(strict))["clock_skewed"] is True


@pytest.fixture
def language() -> Iterator[None]:
    before = current_language()
    yield
    set_language(before)


def test_the_warning_shows_the_offset_in_both_languages(language: None) -> None:
    assert format_offset(THREE_MIN_12_S) == "+3 min 12 s"
    assert format_offset(-45_000) == "-45 s"
    assert format_offset(2 * 3600_000 + 5 * 60_000) == "+2 h 5 min"
    set_language("es")
    assert clock_skew_text(THREE_MIN_12_S) == "Reloj desfasado: +3 min 12 s"
    set_language("en")
    assert clock_skew_text(-THREE_MIN_12_S) == "Clock off: -3 min 12 s"
