"""The terminal every `stocky` command writes to, and how a command fails: one red error line
on stderr and exit status 1, never a traceback. The message is printed as written (brackets
in it are not Rich markup). Its own module so that stocky.cli and the cloud's and the caja's
commands share it without importing each other."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)


def fail(message: str) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)
