"""The `stocky` command line."""

from __future__ import annotations

import typer

from stocky.cloud.cli import cloud_app
from stocky.demo.cli import demo
from stocky.edge.cli import edge_app

app = typer.Typer(
    name="stocky",
    help="Stocky: offline-first inventory and point of sale for stores with several cajas.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(cloud_app, name="cloud")
app.add_typer(edge_app, name="edge")
app.command("demo")(demo)


if __name__ == "__main__":
    app()
