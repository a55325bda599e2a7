"""`stocky edge activate`: the command a person runs once per caja."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from stocky.console import console, fail
from stocky.edge.activation.service import ActivationError, activate
from stocky.edge.store.store import StoreError


def activate_command(
    cloud: Annotated[str, typer.Option("--cloud", help="The cloud's URL")],
    code: Annotated[
        str, typer.Option("--code", help="The activation code from the admin, like ABCD-EFGH-JKMN")
    ],
    data_dir: Annotated[Path, typer.Option("--data-dir", help="This caja's data folder")],
    name: Annotated[
        str | None, typer.Option("--name", help="A name for this caja (default: host name)")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Activate again a data dir that already is")
    ] = False,
    encrypt: Annotated[
        bool, typer.Option("--encrypt", help="Encrypt this caja's database (SQLCipher)")
    ] = False,
) -> None:
    """Bind this caja to a sede with an activation code and download users and catalog."""
    try:
        done = activate(
            cloud_url=cloud,
            code=code,
            data_dir=data_dir,
            device_name=(name or socket.gethostname())[:120],
            force=force,
            encrypt=encrypt,
        )
    except (ActivationError, StoreError) as exc:
        fail(str(exc))
    table = Table(title="Caja activated", show_header=False)
    table.add_row("Business", done.tenant_name)
    table.add_row("Sede", done.sede_name)
    table.add_row("Caja", f"{done.device_name} ({done.device_id})")
    table.add_row("Cloud", done.cloud_url)
    table.add_row("Store", str(done.store_path))
    if encrypt:
        table.add_row("Encrypted", "yes (SQLCipher)")
    for what, count in done.counts.items():
        table.add_row(what.title(), str(count))
    console.print(table)
