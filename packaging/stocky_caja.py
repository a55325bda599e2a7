"""The bundled caja's entry point: `stocky-caja run|activate|status|...` is `stocky edge ...`.

PyInstaller (packaging/stocky-caja.spec) freezes this script and what it imports, and nothing
of the cloud's: the caja's commands come from stocky.edge.cli, never from stocky.cli, which
registers the cloud's when it finds them. Two commands exist only in the bundle: `version`
(the version build.sh recorded in the folder's VERSION file) and `self-check` (the parts a
frozen app loses first, for CI and for support).
"""

from __future__ import annotations

import multiprocessing


def main() -> None:
    # Before anything else: a frozen executable started as a multiprocessing child (a
    # NiceGUI or uvicorn helper process) must run that child's code and exit, not the CLI
    # again, or every start spawns another caja (NiceGUI's restart loop when frozen).
    multiprocessing.freeze_support()

    from caja_bundle import add_bundle_commands

    from stocky.edge.cli import edge_app

    add_bundle_commands(edge_app)
    edge_app(prog_name="stocky-caja")


if __name__ == "__main__":
    main()
