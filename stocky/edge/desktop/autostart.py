"""Starting the caja at login: an XDG autostart entry on Linux, a LaunchAgent on macOS.

`launch_command` is the one place that says how the caja is started from outside (login,
the application menu, the .deb's desktop file); the frozen bundle relies on it. Windows is
documented in docs/desktop.md (a Startup-folder shortcut or the Run key of the registry).
"""

from __future__ import annotations

import os
import plistlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DESKTOP_FILE = "stocky-caja.desktop"
LAUNCH_AGENT_LABEL = "com.stocky.caja"

# The Desktop Entry spec's characters that force an Exec argument into double quotes, and
# those that must be backslash-escaped inside them.
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")
_ESCAPED_IN_QUOTES = set('"`$\\')


class AutostartError(ValueError):
    """This system's autostart is not written by stocky, or the entry cannot be written."""


def launch_command(data_dir: Path) -> list[str]:
    """How to start this caja from outside: the bundle's own executable when frozen
    (its entry is stocky.edge.cli's app), else this Python running `stocky edge run`."""
    target = str(data_dir.expanduser().resolve())
    if getattr(sys, "frozen", False):
        return [sys.executable, "run", "--data-dir", target]
    return [sys.executable, "-m", "stocky", "edge", "run", "--data-dir", target]


def exec_quote(arg: str) -> str:
    """One argument for a desktop file's Exec key (quoted, escaped, % doubled)."""
    if any(ord(char) < 0x20 or char == "\x7f" for char in arg):
        raise AutostartError(f"{arg!r}: a control character cannot go in a desktop entry")
    if arg and not _RESERVED.intersection(arg):
        quoted = arg
    else:
        quoted = '"' + "".join(f"\\{c}" if c in _ESCAPED_IN_QUOTES else c for c in arg) + '"'
    # Exec is also a string value: its backslashes are escaped once more, and % starts a
    # field code.
    return quoted.replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(data_dir: Path, *, autostart: bool = False) -> str:
    """The caja's .desktop file: the application menu's (the .deb), or the login one."""
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.0",
        "Name=Stocky · Caja",
        "Comment=Punto de venta Stocky",
        "Exec=" + " ".join(exec_quote(arg) for arg in launch_command(data_dir)),
        "Terminal=false",
        "Categories=Office;Finance;",
        "StartupNotify=true",
    ]
    if autostart:
        lines.append("X-GNOME-Autostart-enabled=true")
    return "\n".join(lines) + "\n"


def launch_agent_plist(data_dir: Path) -> bytes:
    """A macOS LaunchAgent that starts the caja when the user logs in."""
    agent = {
        "Label": LAUNCH_AGENT_LABEL,
        "ProgramArguments": launch_command(data_dir),
        "RunAtLoad": True,
        "ProcessType": "Interactive",
    }
    return plistlib.dumps(agent)


def _xdg_config_home(env: Mapping[str, str], home: Path) -> Path:
    # The spec: unset, empty or relative means ~/.config.
    configured = env.get("XDG_CONFIG_HOME", "")
    return Path(configured) if os.path.isabs(configured) else home / ".config"


@dataclass(frozen=True)
class Autostart:
    """Where this system keeps the caja's login entry, and what it would hold."""

    path: Path
    platform: str

    @classmethod
    def here(
        cls,
        *,
        platform: str = sys.platform,
        env: Mapping[str, str] | None = None,
        home: Path | None = None,
    ) -> Autostart:
        if platform == "win32":
            raise AutostartError(
                "on Windows, start the caja at login with a shortcut in the Startup folder"
                " (see docs/desktop.md)"
            )
        home = Path.home() if home is None else home
        if platform == "darwin":
            return cls(home / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist", platform)
        config = _xdg_config_home(os.environ if env is None else env, home)
        return cls(config / "autostart" / DESKTOP_FILE, platform)

    def content(self, data_dir: Path) -> bytes:
        if self.platform == "darwin":
            return launch_agent_plist(data_dir)
        return desktop_entry(data_dir, autostart=True).encode()

    @property
    def installed(self) -> bool:
        return self.path.is_file()

    def install(self, data_dir: Path) -> None:
        content = self.content(data_dir)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_bytes(content)
        os.replace(tmp, self.path)

    def remove(self) -> bool:
        """Delete the entry; False when there was none."""
        if not self.installed:
            return False
        self.path.unlink()
        return True

    def matches(self, data_dir: Path) -> bool:
        """Whether the installed entry starts this data dir with this executable."""
        return self.installed and self.path.read_bytes() == self.content(data_dir)

    def command_line(self) -> str | None:
        """The installed entry's command, as written in it (for `status`)."""
        if not self.installed:
            return None
        raw = self.path.read_bytes()
        if self.platform == "darwin":
            return " ".join(plistlib.loads(raw).get("ProgramArguments", []))
        for line in raw.decode(errors="replace").splitlines():
            if line.startswith("Exec="):
                return line.removeprefix("Exec=")
        return None
