"""The frozen bundle's entry (`stocky-caja`, PyInstaller): the caja's commands.

multiprocessing.freeze_support() first: in a frozen executable any child process a library
spawns re-runs this entry, and without it that child would start a second caja.
"""

from __future__ import annotations

import multiprocessing


def main() -> None:
    multiprocessing.freeze_support()
    from stocky.edge.cli import edge_app

    edge_app(prog_name="stocky-caja")


if __name__ == "__main__":
    main()
