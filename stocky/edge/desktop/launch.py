"""`stocky edge run` end to end: take the data dir's lock (or hand over to the caja that
holds it), then serve in the chosen mode until the window closes or the process stops."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer

from stocky.console import fail
from stocky.edge.config import EdgeSettings
from stocky.edge.desktop.single_instance import (
    AlreadyRunningError,
    Instance,
    InstanceLock,
    read_instance,
    request_focus,
)
from stocky.edge.desktop.window import Focuser, ModeChoice, WindowMode, fallback_line
from stocky.ui.i18n import t


def hand_over(settings: EdgeSettings) -> None:
    """Another caja holds this data dir: ask it to come to front and say so."""
    instance = read_instance(settings.data_dir)
    if instance is None:
        fail(t("desktop.not_answering", pid="?", url=settings.data_dir))
    if instance.mode == WindowMode.HEADLESS:
        typer.echo(t("desktop.open_headless", url=instance.url))
        return
    answer = request_focus(instance)
    if answer is None:
        fail(t("desktop.not_answering", pid=instance.pid, url=instance.url))
    key = "desktop.focused" if answer.get("focused") else "desktop.open_no_window"
    typer.echo(t(key, url=instance.url))


def run_caja(
    settings: EdgeSettings, choice: ModeChoice, *, preflight: Callable[[], None] | None = None
) -> None:
    """Serve the caja on its data dir, one process per data dir.

    The lock comes before anything opens the store and is held until this process ends;
    `preflight` (checks that read the store) runs once it is held, before serving.
    Raises the runtime's NotActivatedError for --headless on a caja not activated yet.
    """
    try:
        lock = InstanceLock.acquire(settings.data_dir)
    except AlreadyRunningError:
        hand_over(settings)
        return
    except OSError as exc:
        fail(f"--data-dir: cannot lock {settings.data_dir}: {exc}")
    with lock:
        if preflight is not None:
            preflight()
        instance = Instance.new(host=settings.host, port=settings.port, mode=choice.mode)
        lock.publish(instance)
        if choice.mode is WindowMode.HEADLESS:
            from stocky.edge.runtime import serve

            serve(settings)
            return
        from stocky.edge.ui.app import serve_ui

        line = fallback_line(choice, instance.url)
        if line is not None:
            print(line, file=sys.stderr, flush=True)  # noqa: T201 - the one line that says why
        serve_ui(settings, Focuser(choice.mode, instance.url, instance.token))
