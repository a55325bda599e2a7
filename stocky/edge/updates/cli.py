"""`stocky updates ...`: install a caja into two slots, run it under the launcher, and
look at its update state."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from stocky.console import console, fail

updates_app = typer.Typer(
    help="The caja's signed updates: two-slot install, launcher, state.", no_args_is_help=True
)


@updates_app.command("init")
def init_command(
    root: Path = typer.Option(..., "--root", help="New install root (slots, pointer, state)"),
    bundle: Path = typer.Option(..., "--bundle", help="The first version's app folder"),
    version: str = typer.Option(..., "--version", help="The version it is"),
    trusted_root: Path = typer.Option(..., "--trusted-root", help="The release's root.json"),
    entry: str = typer.Option("stocky-caja", "--entry", help="The executable in the bundle"),
) -> None:
    """Copy the bundle into slot a and point at it."""
    from stocky.edge.updates.slots import SlotError, init_install

    try:
        init_install(root, bundle, version=version, entry=entry, trusted_root=trusted_root)
    except (SlotError, OSError) as exc:
        fail(str(exc))
    console.print(f"installed {version} in {root}/slots/a")


@updates_app.command(
    "launch", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def launch_command(
    ctx: typer.Context,
    root: Path = typer.Option(..., "--root", help="The install root"),
) -> None:
    """Run the current slot's executable with the arguments after `--`, again after a
    restart into an update or a rollback."""
    import logging

    from stocky.edge.updates.launcher import launch
    from stocky.edge.updates.slots import Install, SlotError

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if not Install(root).exists():
        fail(f"--root: {root} holds no install (run `stocky updates init` first)")
    try:
        code = launch(root, list(ctx.args))
    except (SlotError, OSError) as exc:
        fail(str(exc))
    raise typer.Exit(code if code >= 0 else 128 - code)


@updates_app.command("status")
def status_command(root: Path = typer.Option(..., "--root", help="The install root")) -> None:
    """Print the install's state as JSON."""
    from dataclasses import asdict

    from stocky.edge.updates.slots import Install, SlotError

    install = Install(root)
    try:
        state = install.load()
        slot = install.pointed()
        out = {"pointer": slot, "version": install.manifest(slot).version, **asdict(state)}
    except SlotError as exc:
        fail(str(exc))
    typer.echo(json.dumps(out, indent=2))
