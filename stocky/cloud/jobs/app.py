"""The procrastinate App of one cloud process, built from the features' task specs."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import procrastinate

from stocky.cloud.config import Settings
from stocky.cloud.embedded import libpq_url
from stocky.cloud.observability.hooks import counted_job

TaskFn = Callable[..., Coroutine[Any, Any, Any]]


@dataclass(frozen=True)
class TaskSpec:
    """One task as a feature declares it; `build_jobs_app` registers it on each App.

    Registered per App (not through a module-level Blueprint, which procrastinate mutates
    when it is added) so that tests can build many apps in one process.
    """

    name: str
    fn: TaskFn
    queue: str = "default"
    retry: procrastinate.RetryStrategy | None = None
    # Periodic tasks: a cron line (6th field: seconds) from the settings.
    cron: Callable[[Settings], str] | None = None
    # Periodic tasks hold this lock while queued, so a slow tick never piles up copies.
    options: dict[str, Any] = field(default_factory=dict)


def every_seconds(seconds: float) -> str:
    """A procrastinate cron line firing every `seconds` (whole seconds, 1 to 59)."""
    step = min(59, max(1, round(seconds)))
    return f"* * * * * */{step}"


def build_jobs_app(
    settings: Settings, database_url: str, specs: Sequence[TaskSpec]
) -> procrastinate.App:
    """An App on `database_url` (SQLAlchemy or libpq form) with every task of `specs`.

    Deferring with `defer.defer_in` uses the caller's connection and never opens the pool;
    a worker opens it (`runner`).
    """
    connector = procrastinate.PsycopgConnector(
        conninfo=libpq_url(database_url),
        min_size=1,
        max_size=max(2, settings.worker_concurrency + 2),
    )
    app = procrastinate.App(connector=connector)
    for spec in specs:
        task = app.task(
            name=spec.name,
            queue=spec.queue,
            retry=spec.retry or False,
            pass_context=True,
            **spec.options,
        )(counted_job(spec.name, spec.fn))
        if spec.cron is not None:
            app.periodic_registry.register_task(
                task=task,
                cron=spec.cron(settings),
                periodic_id="",
                configure_kwargs={"queueing_lock": spec.name},
            )
    return app
