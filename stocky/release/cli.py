"""`stocky release ...`: make the update keys, and build, sign and publish a caja version."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn

from stocky.console import console, fail

release_app = typer.Typer(
    help="Sign and publish caja versions to an update channel (TUF).", no_args_is_help=True
)

STEPS = {"archive": "Archiving the bundle", "sign": "Signing the metadata", "write": "Writing"}


@release_app.command("init-keys")
def init_keys_command(
    keys_dir: Path = typer.Option(..., "--keys-dir", help="New folder for the four keys"),
) -> None:
    """Make the root, targets, snapshot and timestamp keys and the signed root. Keep
    root.pem offline; root.json goes inside every app (the trust everything starts from)."""
    from stocky.release.repository import ReleaseError, init_keys

    try:
        root = init_keys(keys_dir)
    except (ReleaseError, OSError) as exc:
        fail(str(exc))
    console.print(f"keys in {keys_dir}; trusted root: {root}")


@release_app.command()
def publish(
    bundle: Path = typer.Option(..., "--bundle", help="The app folder (dist/stocky-caja)"),
    version: str = typer.Option(..., "--version", help="The version it is, like 1.2.0"),
    channel: str = typer.Option("stable", "--channel", help="stable or beta"),
    repo_dir: Path = typer.Option(..., "--repo-dir", help="The update repository folder"),
    keys_dir: Path = typer.Option(Path("release-keys"), "--keys-dir", help="Signing keys"),
    entry: str = typer.Option("stocky-caja", "--entry", help="The executable in the bundle"),
) -> None:
    """Archive the bundle, add it to the channel's signed targets and re-sign snapshot and
    timestamp. Serve --repo-dir as it is (the cloud's STOCKY_UPDATES_DIR, or a static host)."""
    from stocky.release.repository import ReleaseError
    from stocky.release.repository import publish as do_publish

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=console) as bar:
        task = bar.add_task("Starting", total=len(STEPS))

        def step(name: str) -> None:
            bar.update(task, description=STEPS[name], advance=1)

        try:
            archive = do_publish(
                bundle=bundle,
                version=version,
                channel=channel,
                repo_dir=repo_dir,
                keys_dir=keys_dir,
                entry=entry,
                step=step,
            )
        except (ReleaseError, OSError) as exc:
            fail(str(exc))
    console.print(f"published {version} on {channel}: {archive}")
