"""`stocky edge autostart install|remove|status`: the login entry's file, its Exec line read
back the way a desktop session reads it, the frozen bundle's command, macOS's plist."""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stocky.edge.cli import edge_app
from stocky.edge.desktop.autostart import (
    Autostart,
    AutostartError,
    desktop_entry,
    exec_quote,
    launch_command,
)

runner = CliRunner()


def exec_args(entry: str) -> list[str]:
    """The Exec key as the Desktop Entry spec reads it: string escapes first, then the
    quoting (a shell's double-quote rules), then %% as a literal %."""
    line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    value = line.removeprefix("Exec=").replace("\\\\", "\\")
    args: list[str] = []
    current: list[str] | None = None
    chars = iter(value)
    quoted = False
    for char in chars:
        if quoted:
            if char == "\\":
                escaped = next(chars)
                assert escaped in '"`$\\', f"{escaped!r} may not be escaped"
                current.append(escaped)  # type: ignore[union-attr]
            elif char == '"':
                quoted = False
            else:
                current.append(char)  # type: ignore[union-attr]
        elif char == " ":
            if current is not None:
                args.append("".join(current))
            current = None
        else:
            current = [] if current is None else current
            if char == '"':
                quoted = True
            else:
                assert char not in "\\'$`", f"{char!r} must be quoted"
                current.append(char)
    assert not quoted, "an unterminated quote"
    if current is not None:
        args.append("".join(current))
    return [arg.replace("%%", "%") for arg in args]


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


class TestCommand:
    def test_install_status_remove(self, config_home: Path, tmp_path: Path) -> None:
        data_dir = tmp_path / "mi caja" / "datos"
        entry = config_home / "autostart" / "stocky-caja.desktop"

        assert "Not installed" in runner.invoke(edge_app, ["autostart", "status"]).output
        done = runner.invoke(edge_app, ["autostart", "install", "--data-dir", str(data_dir)])
        assert done.exit_code == 0, done.output
        assert str(entry) in done.output
        text = entry.read_text()
        assert text.startswith("[Desktop Entry]\n")
        assert "Type=Application\n" in text
        assert "X-GNOME-Autostart-enabled=true\n" in text
        # The path with spaces is one argument, quoted.
        assert f'--data-dir "{data_dir}"' in text
        assert exec_args(text) == [
            sys.executable,
            "-m",
            "stocky",
            "edge",
            "run",
            "--data-dir",
            str(data_dir),
        ]

        status = runner.invoke(edge_app, ["autostart", "status", "--data-dir", str(data_dir)])
        assert status.exit_code == 0
        assert f"Installed: {entry}" in status.output
        assert "up to date" in status.output
        other = runner.invoke(edge_app, ["autostart", "status", "--data-dir", str(tmp_path)])
        assert "NOT this data dir" in other.output

        removed = runner.invoke(edge_app, ["autostart", "remove"])
        assert removed.exit_code == 0
        assert not entry.exists()
        again = runner.invoke(edge_app, ["autostart", "remove"])
        assert again.exit_code == 0
        assert "Nothing to remove" in again.output

    def test_a_data_dir_that_is_a_file_is_refused(self, config_home: Path, tmp_path: Path) -> None:
        a_file = tmp_path / "caja.db"
        a_file.write_text("")
        done = runner.invoke(edge_app, ["autostart", "install", "--data-dir", str(a_file)])
        assert done.exit_code == 1
        assert "--data-dir" in done.output
        assert "not a folder" in done.output
        assert not (config_home / "autostart").exists()

    def test_a_control_character_is_refused(self, config_home: Path, tmp_path: Path) -> None:
        done = runner.invoke(edge_app, ["autostart", "install", "--data-dir", f"{tmp_path}/a\nb"])
        assert done.exit_code == 1
        assert "control character" in done.output
        assert "Traceback" not in done.output


class TestEntry:
    def test_reserved_characters_survive_the_round_trip(self, tmp_path: Path) -> None:
        data_dir = tmp_path / 'rara "caja" $HOME `x` 100% \\ fin'
        args = exec_args(desktop_entry(data_dir))
        assert args[-1] == str(data_dir)
        assert exec_quote("plain") == "plain"
        assert exec_quote("a b") == '"a b"'
        assert exec_quote("50%") == "50%%"
        assert exec_quote('say "hi"') == '"say \\\\"hi\\\\""'

    def test_the_menu_entry_does_not_autostart(self, tmp_path: Path) -> None:
        assert "X-GNOME-Autostart" not in desktop_entry(tmp_path)
        assert "Name=Stocky · Caja" in desktop_entry(tmp_path)

    def test_the_frozen_bundle_runs_itself(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        bundle = "/opt/Stocky Caja/stocky-caja"
        monkeypatch.setattr(sys, "frozen", True, raising=False)
        monkeypatch.setattr(sys, "executable", bundle)
        assert launch_command(tmp_path) == [bundle, "run", "--data-dir", str(tmp_path)]
        entry = desktop_entry(tmp_path)
        assert f'Exec="{bundle}" run --data-dir' in entry
        assert exec_args(entry) == [bundle, "run", "--data-dir", str(tmp_path)]

    def test_a_relative_data_dir_is_made_absolute(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(tmp_path)
        assert launch_command(Path("caja"))[-1] == str(tmp_path / "caja")


class TestWhere:
    def test_xdg_config_home_or_dot_config(self, tmp_path: Path) -> None:
        home = tmp_path / "home"
        path = Autostart.here(platform="linux", env={"XDG_CONFIG_HOME": "/x/cfg"}, home=home).path
        assert path == Path("/x/cfg/autostart/stocky-caja.desktop")
        for env in ({}, {"XDG_CONFIG_HOME": ""}, {"XDG_CONFIG_HOME": "relative/cfg"}):
            path = Autostart.here(platform="linux", env=env, home=home).path
            assert path == home / ".config" / "autostart" / "stocky-caja.desktop"

    def test_macos_gets_a_launch_agent(self, tmp_path: Path) -> None:
        autostart = Autostart.here(platform="darwin", env={}, home=tmp_path)
        autostart.install(tmp_path / "caja")
        assert autostart.path == tmp_path / "Library/LaunchAgents/com.stocky.caja.plist"
        agent = plistlib.loads(autostart.path.read_bytes())
        assert agent["Label"] == "com.stocky.caja"
        assert agent["RunAtLoad"] is True
        assert agent["ProgramArguments"] == launch_command(tmp_path / "caja")
        assert autostart.matches(tmp_path / "caja")
        assert autostart.command_line() == " ".join(launch_command(tmp_path / "caja"))

    def test_windows_points_at_the_docs(self) -> None:
        with pytest.raises(AutostartError, match=r"Startup folder .*docs/desktop\.md"):
            Autostart.here(platform="win32", env={}, home=Path("/nowhere"))
