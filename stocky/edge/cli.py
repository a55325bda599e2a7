"""`stocky edge ...`: activate and run a caja."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from stocky.console import fail
from stocky.edge.activation.cli import activate_command
from stocky.edge.backup.cli import backup_command, backups_command, restore_command
from stocky.edge.desktop.cli import autostart_app

edge_app = typer.Typer(help="Activate and run a caja (checkout PC).", no_args_is_help=True)


@edge_app.command()
def run(
    data_dir: Path = typer.Option(..., "--data-dir", help="The caja's data folder"),
    port: int | None = typer.Option(
        None, "--port", min=1, max=65535, help="Local API port (default 8765)"
    ),
    host: str | None = typer.Option(None, "--host", help="Local API address (127.0.0.1)"),
    native: bool = typer.Option(
        False, "--native", help="Its own window (pywebview), or an error if it cannot open"
    ),
    browser: bool = typer.Option(False, "--browser", help="Open the system browser instead"),
    headless: bool = typer.Option(False, "--headless", help="Local API only, no screens"),
    no_browser: bool = typer.Option(
        False, "--no-browser", help="Serve the screens, open nothing (print the address)"
    ),
    lan: str | None = typer.Option(
        None, "--lan", help="LAN sync with the sede's other cajas: auto, on or off"
    ),
    lan_port: int | None = typer.Option(
        None, "--lan-port", min=1, max=65535, help="LAN server port (default 3001)"
    ),
    lan_peers: str | None = typer.Option(
        None, "--lan-peers", help="The sede's other cajas, host:port,host:port (else mDNS)"
    ),
    lan_rank: int | None = typer.Option(
        None, "--lan-rank", min=1, help="Place in line to become master (1 first)"
    ),
) -> None:
    """Run the caja: local store and API, sync engine, and its screens in a window of its
    own on a desktop (else the browser). One caja per data dir: a second launch brings the
    running one to front."""
    from pydantic import ValidationError

    from stocky.edge.config import EdgeSettings
    from stocky.edge.desktop.launch import run_caja
    from stocky.edge.desktop.window import ModeError, choose_mode
    from stocky.edge.runtime import NotActivatedError
    from stocky.edge.tls import CaBundleError, InsecureCloudError, check_caja_cloud

    overrides: dict[str, Any] = {
        "data_dir": data_dir,
        "port": port,
        "host": host,
        "lan": lan,
        "lan_port": lan_port,
        "lan_peers": lan_peers,
        "lan_rank": lan_rank,
    }
    try:
        # Through __init__, not model_validate: the STOCKY_EDGE_* environment still counts.
        settings = EdgeSettings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        error = exc.errors()[0]
        fail(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}")
    try:
        choice = choose_mode(
            native=native, browser=browser, no_browser=no_browser, headless=headless
        )
    except ModeError as exc:
        fail(str(exc))

    def check_cloud() -> None:
        # It reads the store: only once this process holds the data dir's lock.
        try:
            check_caja_cloud(settings)
        except (InsecureCloudError, CaBundleError) as exc:
            fail(str(exc))

    try:
        run_caja(settings, choice, preflight=check_cloud)
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
    from stocky.edge.desktop.single_instance import AlreadyRunningError, InstanceLock
    from stocky.edge.store.store import Store, StoreError
    from stocky.edge.sync.cloud_address import CloudAddressError, move_cloud

    settings = EdgeSettings(data_dir=data_dir)
    if not settings.store_path.exists():
        fail(f"the data dir {data_dir} holds no activated caja")
    try:
        # The running caja's lock: it keeps the old address in memory and would not see this.
        with (
            InstanceLock.acquire(data_dir),
            Store.open(settings.store_path) as store,
        ):
            address = move_cloud(store, url, check=check, timeouts=settings.cloud_timeouts())
    except AlreadyRunningError:
        fail(f"the caja on {data_dir} is running; close it first, then set its cloud")
    except (CloudAddressError, StoreError) as exc:
        fail(str(exc))
    typer.echo(f"This caja now syncs with {address}.")


@edge_app.command()
def encrypt(
    data_dir: Path = typer.Option(..., "--data-dir", help="The caja's data folder"),
) -> None:
    """Encrypt this caja's database in place with SQLCipher (stop the caja first)."""
    from stocky.console import console
    from stocky.edge.config import store_path
    from stocky.edge.store.encrypt import EncryptError, encrypt_in_place
    from stocky.edge.store.errors import StoreError

    labels = {
        "exporting": "Copying into an encrypted file...",
        "verifying": "Checking the copy (integrity, rows per table)...",
        "swapping": "Swapping the encrypted file in...",
        "scrubbing": "Erasing the plain file...",
    }
    try:
        with console.status("Encrypting...") as status:
            done = encrypt_in_place(
                store_path(data_dir), lambda step: status.update(labels.get(step, step))
            )
    except (EncryptError, StoreError, OSError) as exc:
        fail(str(exc))
    where = "the OS keyring" if done.key_source == "keyring" else "the device secret file"
    what = "finished an interrupted encryption" if done.resumed else "encrypted"
    console.print(
        f"{store_path(data_dir)}: {what} ({done.tables} tables, {done.rows} rows); key in {where}."
    )


edge_app.command("activate")(activate_command)
edge_app.command("backup")(backup_command)
edge_app.command("backups")(backups_command)
edge_app.command("restore")(restore_command)
edge_app.add_typer(autostart_app, name="autostart")
