"""`stocky edge autostart install|remove|status`: start the caja when the user logs in."""

from __future__ import annotations

from pathlib import Path

import typer

from stocky.console import fail
from stocky.edge.desktop.autostart import Autostart, AutostartError

autostart_app = typer.Typer(
    help="Start the caja at login (XDG autostart on Linux, a LaunchAgent on macOS).",
    no_args_is_help=True,
)

DATA_DIR_HELP = "The caja's data folder"


def _here() -> Autostart:
    try:
        return Autostart.here()
    except AutostartError as exc:
        fail(str(exc))


@autostart_app.command()
def install(data_dir: Path = typer.Option(..., "--data-dir", help=DATA_DIR_HELP)) -> None:
    """Write the login entry that runs `stocky edge run` on this data dir."""
    autostart = _here()
    if data_dir.exists() and not data_dir.is_dir():
        fail(f"--data-dir: {data_dir} is not a folder")
    try:
        autostart.install(data_dir)
    except AutostartError as exc:
        fail(f"--data-dir: {exc}")
    except OSError as exc:
        fail(f"cannot write {autostart.path}: {exc}")
    typer.echo(f"The caja on {data_dir.resolve()} now starts at login ({autostart.path}).")


@autostart_app.command()
def remove(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Accepted for symmetry: there is one login entry per user"
    ),
) -> None:
    """Delete the login entry (the caja no longer starts at login)."""
    autostart = _here()
    try:
        removed = autostart.remove()
    except OSError as exc:
        fail(f"cannot delete {autostart.path}: {exc}")
    if removed:
        typer.echo(f"Removed {autostart.path}; the caja no longer starts at login.")
    else:
        typer.echo(f"Nothing to remove: {autostart.path} does not exist.")


@autostart_app.command()
def status(
    data_dir: Path | None = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
) -> None:
    """Say whether the caja starts at login, and whether on this data dir."""
    autostart = _here()
    command = autostart.command_line()
    if command is None:
        typer.echo(f"Not installed ({autostart.path} does not exist).")
        return
    typer.echo(f"Installed: {autostart.path}")
    typer.echo(f"Runs: {command}")
    if data_dir is not None:
        try:
            same = autostart.matches(data_dir)
        except AutostartError as exc:
            fail(f"--data-dir: {exc}")
        verdict = "up to date" if same else "NOT this data dir or executable; run install again"
        typer.echo(f"For {data_dir.resolve()}: {verdict}")
