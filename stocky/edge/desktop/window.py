"""How `stocky edge run` shows the caja: its own window, the browser, or no screen at all.

The default is the native window (pywebview) wherever it can really open: a desktop session
and a GUI backend pywebview can load (GTK or Qt on Linux, WinForms on Windows, Cocoa on
macOS). Where it cannot, the caja still sells through the browser, and says why once.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from stocky.edge.desktop import texts as _texts  # noqa: F401 - registers the messages
from stocky.ui.i18n import t


class WindowMode(StrEnum):
    NATIVE = "native"  # a pywebview window of its own
    BROWSER = "browser"  # the system browser opened at the caja's address
    SCREENS = "screens"  # screens served, nothing opened (--no-browser, or no desktop)
    HEADLESS = "headless"  # the local API alone


@dataclass(frozen=True)
class ModeChoice:
    mode: WindowMode
    # Why the default could not be the native window; None when nothing fell back.
    reason: str | None = None


class ModeError(ValueError):
    """The flags ask for what this machine cannot do, or for two things at once."""


# pywebview's own order of backends per system (webview.guilib.initialize).
_BACKENDS: Mapping[str, tuple[str, ...]] = {"win32": ("winforms",), "darwin": ("cocoa", "qt")}
_LINUX_BACKENDS = ("gtk", "qt")


def desktop_missing(platform: str, env: Mapping[str, str]) -> str | None:
    """Why there is no desktop to show a window on, or None when there is one."""
    if platform in ("win32", "darwin"):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return "DISPLAY and WAYLAND_DISPLAY are unset"


def probe_backend(platform: str = sys.platform) -> str | None:
    """Why pywebview cannot open a window here, or None when a backend loads.

    Loads the backend module as webview.start would, so a missing GTK binding or Qt shows
    now, as a reason, rather than as a crash after the server started.
    """
    try:
        importlib.import_module("webview")
    except ImportError:
        return "pywebview is not installed (the caja's `edge` extra)"
    tried: list[str] = []
    for name in _BACKENDS.get(platform, _LINUX_BACKENDS):
        try:
            importlib.import_module(f"webview.platforms.{name}")
        except Exception as exc:  # any failure to load a backend is a reason, not a crash
            tried.append(f"{name}: {exc}")
            continue
        return None
    return f"no GUI backend for pywebview ({'; '.join(tried)})"


def choose_mode(
    *,
    native: bool = False,
    browser: bool = False,
    no_browser: bool = False,
    headless: bool = False,
    platform: str = sys.platform,
    env: Mapping[str, str] | None = None,
    probe: Callable[[str], str | None] = probe_backend,
) -> ModeChoice:
    """The mode the flags ask for on this machine; ModeError when it cannot be had."""
    flags = {"--native": native, "--browser": browser, "--no-browser": no_browser}
    flags["--headless"] = headless
    given = [name for name, on in flags.items() if on]
    if len(given) > 1:
        raise ModeError(f"{' and '.join(given)} cannot be used together; choose one")
    if headless:
        return ModeChoice(WindowMode.HEADLESS)
    if no_browser:
        return ModeChoice(WindowMode.SCREENS)
    missing = desktop_missing(platform, os.environ if env is None else env)
    if browser:
        # No desktop, no browser to open: a text browser in the terminal would be worse.
        return (
            ModeChoice(WindowMode.SCREENS, missing) if missing else ModeChoice(WindowMode.BROWSER)
        )
    if missing:
        if native:
            raise ModeError(f"--native: no desktop to open a window on ({missing})")
        return ModeChoice(WindowMode.SCREENS, missing)
    backend = probe(platform)
    if backend is None:
        return ModeChoice(WindowMode.NATIVE)
    if native:
        raise ModeError(f"--native: {backend}")
    return ModeChoice(WindowMode.BROWSER, backend)


def fallback_line(choice: ModeChoice, url: str) -> str | None:
    """The one line that says why the caja did not open its own window."""
    if choice.reason is None:
        return None
    if choice.mode is WindowMode.BROWSER:
        return t("desktop.fallback", reason=choice.reason)
    return t("desktop.no_desktop", reason=choice.reason, url=url)


@dataclass
class Focuser:
    """What POST /local/focus does in this run: raise the window, or open the tab again."""

    mode: WindowMode
    url: str
    token: str
    window: Any = None  # the pywebview window, once created
    requests: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def focus(self) -> bool:
        """Bring the caja to front; False when this run has nothing to show."""
        with self._lock:
            self.requests += 1
        if self.mode is WindowMode.NATIVE and self.window is not None:
            # pywebview forwards these to its GUI thread. Window managers often refuse a
            # plain raise from the background (they only flash the taskbar); a moment
            # always-on-top brings it forward for real.
            self.window.restore()
            self.window.show()
            self.window.on_top = True
            self.window.on_top = False
            return True
        if self.mode is WindowMode.BROWSER:
            webbrowser.open(self.url)
            return True
        print(t("desktop.focus_nothing"), file=sys.stderr, flush=True)  # noqa: T201
        return False
