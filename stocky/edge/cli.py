"""`stocky edge ...`: activate and run a caja."""

from __future__ import annotations

from pathlib import Path

import typer

from stocky.console import fail
from stocky.edge.activation.cli import activate_command

edge_app = typer.Typer(help="Activate and run a caja (checkout PC).", no_args_is_help=True)


@edge_app.command()
def run(
    data_dir: Path = typer.Option(..., "--data-dir", help="The caja's data folder"),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Local API port (default 8765)"
    ),
    host: str | None = typer.Option(None, "--host", help="Local API address (127.0.0.1)"),
    native: bool = typer.Option(False, "--native", help="Open a desktop window (pywebview)"),
    headless: bool = typer.Option(False, "--headless", help="Local API only, no screens"),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser"),
) -> None:
    """Run the caja: local store and API (and the sync engine and UI when installed)."""
    from stocky.edge.config import EdgeSettings
    from stocky.edge.runtime import NotActivatedError, serve

    settings = EdgeSettings(data_dir=data_dir)
    if port is not None:
        settings.port = port
    if host is not None:
        settings.host = host
    try:
        if headless:
            serve(settings)
        else:
            from stocky.edge.ui.app import serve_ui

            serve_ui(settings, native=native, open_browser=not no_browser)
    except NotActivatedError as exc:
        fail(str(exc))


@edge_app.command()
def status(data_dir: Path = typer.Option(..., "--data-dir", help="The caja's data folder")) -> None:
    """Print the caja's status as JSON (activation, outbox, sync, LAN)."""
    from stocky.edge.config import EdgeSettings
    from stocky.edge.sync.status import status_json

    typer.echo(status_json(EdgeSettings(data_dir=data_dir)))


@edge_app.command("set-cloud")
def set_cloud(
    url: str = typer.Argument(..., help="The cloud's new address, like https://cloud.example.com"),
    data_dir: Path = typer.Option(..., "--data-dir", help="The caja's data folder"),
    check: bool = typer.Option(
        True, "--check/--no-check", help="Ping the cloud there with this caja's credential first"
    ),
) -> None:
    """Point an activated caja at its cloud's new address (a proxy, a cloud that moved)."""
    from stocky.edge.config import EdgeSettings
    from stocky.edge.store.store import Store, StoreError
    from stocky.edge.sync.cloud_address import CloudAddressError, move_cloud

    settings = EdgeSettings(data_dir=data_dir)
    if not settings.store_path.exists():
        fail(f"the data dir {data_dir} holds no activated caja")
    try:
        with Store.open(settings.store_path) as store:
            address = move_cloud(store, url, check=check, timeouts=settings.cloud_timeouts())
    except (CloudAddressError, StoreError) as exc:
        fail(str(exc))
    typer.echo(f"This caja now syncs with {address}; restart it if it is running.")


edge_app.command("activate")(activate_command)
