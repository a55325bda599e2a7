"""`stocky demo`: the whole system on one machine, in one command."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console

from stocky.demo.processes import Children, stop_embedded_postgres

console = Console()
# Written into a data dir the demo created: the only kind it ever deletes.
MARKER = ".stocky-demo"


def default_data_dir() -> Path:
    """`demo` under STOCKY_DATA_DIR (default .stocky, as the cloud's own data: README)."""
    return Path(os.environ.get("STOCKY_DATA_DIR") or ".stocky") / "demo"


def prepare_data_dir(data_dir: Path) -> None:
    """Wipe the previous demo, but only a folder this demo created and marked."""
    if data_dir.exists() and any(data_dir.iterdir()):
        if not (data_dir / MARKER).is_file():
            raise typer.BadParameter(
                f"{data_dir} exists and was not created by `stocky demo`; it is left as it is."
                " Choose another --data-dir (or STOCKY_DATA_DIR).",
                param_hint="--data-dir",
            )
        console.print(f"Wiping the previous demo in [bold]{data_dir}[/]")
        stop_embedded_postgres(data_dir / "cloud" / "postgres")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / MARKER).write_text("created by `stocky demo`; deleted by its next run\n")


def demo(
    sales: Annotated[
        int, typer.Option("--sales", min=2, help="Sales to ring up, both cajas")
    ] = 200,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Demo data folder, wiped at start if an earlier demo made it"
            " [default: $STOCKY_DATA_DIR/demo, .stocky/demo]",
            show_default=False,
        ),
    ] = None,
    exit_at_end: Annotated[
        bool, typer.Option("--exit", help="Stop everything after the table (exit 0 if equal)")
    ] = False,
    offline_seconds: Annotated[
        float, typer.Option("--offline-seconds", min=0, help="Shortest outage of the cut caja")
    ] = 5.0,
    pause: Annotated[
        float, typer.Option("--pause", min=0, help="Seconds between sales (for watching)")
    ] = 0.02,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Cloud port (default: free)")
    ] = None,
) -> None:
    """Embedded cloud, 2 sedes with a caja each, sales, an outage, and proof they converge."""
    from stocky.demo.flow import Demo, DemoOptions

    data_dir = (data_dir or default_data_dir()).resolve()
    prepare_data_dir(data_dir)
    options = DemoOptions(data_dir, sales, offline_seconds, pause, exit_at_end, port)
    children = Children()
    # A plain `kill` of the demo stops the children too, as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with it ignored

    flow = Demo(options, console, children)

    async def main() -> None:
        try:
            await flow.run()
        finally:
            await flow.aclose()

    code = 1
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        console.print("\nStopping the demo")
    except (RuntimeError, httpx.HTTPError) as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
    finally:
        with console.status("Stopping the cajas and the cloud"):
            children.stop_all()
            stop_embedded_postgres(data_dir / "cloud" / "postgres")
    if flow.converged is not None:
        code = 0 if flow.converged else 1
    raise typer.Exit(code)
