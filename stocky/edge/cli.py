"""`stocky edge ...`: activate and run a caja."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

edge_app = typer.Typer(help="Activate and run a caja (checkout PC).", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)


def fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)
