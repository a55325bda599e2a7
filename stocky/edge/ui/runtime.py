"""The screens' handle on the caja's process: the one CajaRuntime (stocky.edge.runtime) that
this process's pages use, set by create_ui_app (or a test) before any page runs.
"""

from __future__ import annotations

from stocky.edge.runtime import CajaRuntime, NotReadyError

__all__ = ["CajaRuntime", "NotReadyError", "get_runtime", "set_runtime"]

_current: list[CajaRuntime] = []


def set_runtime(runtime: CajaRuntime) -> None:
    _current[:] = [runtime]


def get_runtime() -> CajaRuntime:
    if not _current:
        raise RuntimeError("the caja UI runs without a runtime; build it with create_ui_app")
    return _current[0]
