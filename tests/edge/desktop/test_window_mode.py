"""Which window `stocky edge run` opens: the flags, the desktop, and pywebview's backend."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stocky.edge.api.focus import _is_loopback
from stocky.edge.cli import edge_app
from stocky.edge.desktop.window import (
    Focuser,
    ModeChoice,
    ModeError,
    WindowMode,
    choose_mode,
    fallback_line,
    probe_backend,
)
from stocky.ui.i18n import set_language

DESKTOP = {"DISPLAY": ":0"}
WAYLAND = {"WAYLAND_DISPLAY": "wayland-0"}


def ok(_: str) -> str | None:
    return None


def no_backend(_: str) -> str | None:
    return "no GUI backend for pywebview (gtk: No module named 'gi')"


class TestChooseMode:
    def test_a_desktop_with_a_backend_gets_its_own_window(self) -> None:
        for env in (DESKTOP, WAYLAND):
            assert choose_mode(platform="linux", env=env, probe=ok) == ModeChoice(WindowMode.NATIVE)

    def test_windows_and_macos_always_have_a_desktop(self) -> None:
        for platform in ("win32", "darwin"):
            assert choose_mode(platform=platform, env={}, probe=ok).mode is WindowMode.NATIVE

    def test_no_backend_falls_back_to_the_browser_with_the_reason(self) -> None:
        choice = choose_mode(platform="linux", env=DESKTOP, probe=no_backend)
        assert choice.mode is WindowMode.BROWSER
        assert choice.reason is not None
        assert "No module named 'gi'" in choice.reason

    def test_no_desktop_serves_the_screens_and_says_why(self) -> None:
        def never(_: str) -> str | None:
            raise AssertionError("no desktop: the backend is not even tried")

        choice = choose_mode(platform="linux", env={"DISPLAY": ""}, probe=never)
        assert choice == ModeChoice(WindowMode.SCREENS, "DISPLAY and WAYLAND_DISPLAY are unset")

    def test_flags_choose_without_probing(self) -> None:
        def never(_: str) -> str | None:
            raise AssertionError("an explicit mode needs no backend")

        kw: dict[str, Any] = {"platform": "linux", "env": DESKTOP, "probe": never}
        assert choose_mode(headless=True, **kw).mode is WindowMode.HEADLESS
        assert choose_mode(no_browser=True, **kw).mode is WindowMode.SCREENS
        assert choose_mode(browser=True, **kw) == ModeChoice(WindowMode.BROWSER)

    def test_browser_without_a_desktop_opens_nothing(self) -> None:
        choice = choose_mode(browser=True, platform="linux", env={}, probe=ok)
        assert choice.mode is WindowMode.SCREENS
        assert choice.reason == "DISPLAY and WAYLAND_DISPLAY are unset"

    def test_native_is_forced_or_refused_with_the_reason(self) -> None:
        assert choose_mode(native=True, platform="linux", env=DESKTOP, probe=ok).mode is (
            WindowMode.NATIVE
        )
        with pytest.raises(ModeError, match=r"--native: no GUI backend .*'gi'"):
            choose_mode(native=True, platform="linux", env=DESKTOP, probe=no_backend)
        with pytest.raises(ModeError, match="--native: no desktop"):
            choose_mode(native=True, platform="linux", env={}, probe=ok)

    def test_two_modes_at_once_are_refused(self) -> None:
        with pytest.raises(ModeError, match="--native and --headless"):
            choose_mode(native=True, headless=True, env=DESKTOP, probe=ok)
        with pytest.raises(ModeError, match="--browser and --no-browser"):
            choose_mode(browser=True, no_browser=True, env=DESKTOP, probe=ok)


class TestProbe:
    def test_pywebview_missing(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "webview", None)
        reason = probe_backend("linux")
        assert reason is not None
        assert "pywebview is not installed" in reason

    def test_every_backend_failing_names_each(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "webview.platforms.gtk", None)
        monkeypatch.setitem(sys.modules, "webview.platforms.qt", None)
        reason = probe_backend("linux")
        assert reason is not None
        assert reason.startswith("no GUI backend for pywebview (gtk: ")
        assert "; qt: " in reason

    def test_a_loading_backend_is_enough(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "webview.platforms.gtk", None)
        monkeypatch.setitem(sys.modules, "webview.platforms.qt", types.ModuleType("qt"))
        assert probe_backend("linux") is None

    def test_windows_tries_winforms(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "webview.platforms.winforms", None)
        reason = probe_backend("win32")
        assert reason is not None
        assert "winforms: " in reason
        assert "gtk" not in reason


class TestMessages:
    def test_the_fallback_line_in_both_languages(self) -> None:
        url = "http://127.0.0.1:8765/"
        to_browser = ModeChoice(WindowMode.BROWSER, "no GUI backend")
        no_desktop = ModeChoice(WindowMode.SCREENS, "DISPLAY and WAYLAND_DISPLAY are unset")
        try:
            assert fallback_line(to_browser, url) == (
                "Stocky caja: sin ventana propia (no GUI backend); se abre en el navegador"
            )
            line = fallback_line(no_desktop, url)
            assert line is not None
            assert "sin escritorio" in line
            assert url in line
            set_language("en")
            assert fallback_line(to_browser, url) == (
                "Stocky caja: no window of its own (no GUI backend); opening the browser"
            )
        finally:
            set_language("es")
        assert fallback_line(ModeChoice(WindowMode.NATIVE), url) is None


class FakeWindow:
    """Stands in for pywebview's window (a GUI toolkit, outside the caja)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def restore(self) -> None:
        self.calls.append("restore")

    def show(self) -> None:
        self.calls.append("show")

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "on_top":
            self.calls.append(f"on_top={value}")
        object.__setattr__(self, name, value)


class TestFocuser:
    def test_native_raises_the_window(self) -> None:
        window = FakeWindow()
        focuser = Focuser(WindowMode.NATIVE, "http://127.0.0.1:1/", "t", window=window)
        assert focuser.focus() is True
        assert window.calls == ["restore", "show", "on_top=True", "on_top=False"]
        assert focuser.requests == 1

    def test_browser_opens_the_tab_again(self, monkeypatch: pytest.MonkeyPatch) -> None:
        opened: list[str] = []
        monkeypatch.setattr("webbrowser.open", opened.append)
        focuser = Focuser(WindowMode.BROWSER, "http://127.0.0.1:1/", "t")
        assert focuser.focus() is True
        assert opened == ["http://127.0.0.1:1/"]

    def test_no_window_counts_and_says_so(self, capsys: pytest.CaptureFixture[str]) -> None:
        focuser = Focuser(WindowMode.SCREENS, "http://127.0.0.1:1/", "t")
        assert focuser.focus() is False
        assert focuser.focus() is False
        assert focuser.requests == 2
        assert capsys.readouterr().err.count("pidió traerla al frente") == 2


def test_focus_answers_loopback_peers_only() -> None:
    for host in ("127.0.0.1", "127.3.4.5", "::1", "::ffff:127.0.0.1"):
        assert _is_loopback(host), host
    for host in ("192.168.1.20", "10.0.0.1", "::ffff:10.0.0.1", "", None, "testclient"):
        assert not _is_loopback(host), host


def test_run_refuses_an_impossible_mode_before_touching_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    runner = CliRunner()
    data_dir = tmp_path / "caja"
    forced = runner.invoke(edge_app, ["run", "--data-dir", str(data_dir), "--native"])
    assert forced.exit_code == 1
    assert "--native: no desktop to open a window on" in forced.output
    both = runner.invoke(edge_app, ["run", "--data-dir", str(data_dir), "--browser", "--headless"])
    assert both.exit_code == 1
    assert "--browser and --headless cannot be used together" in both.output
    assert not data_dir.exists()
