"""Every metric the cloud exports, in one place (prometheus_client's default registry).

Labels are bounded on purpose: a route's template (never the raw path), a method from a
fixed set, a status class, an op status, a job's task name, a sede id (a tenant has a
handful). With PROMETHEUS_MULTIPROC_DIR set (before the process starts: prometheus_client
picks its value storage at import), every process of the host writes its samples to that
folder and /metrics of any API process sums them (see render()).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUEST_SECONDS = Histogram(
    "stocky_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status class",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
PUSH_OPS = Counter(
    "stocky_sync_push_ops_total",
    "Operations cajas pushed, by the result the cloud answered",
    ["status"],
)
PULL_PAGES = Counter("stocky_sync_pull_pages_total", "Pull pages served to cajas")
PULL_ROWS = Counter("stocky_sync_pull_rows_total", "Changes served to cajas in pull pages")
CHECKSUM_DIVERGENCES = Counter(
    "stocky_sync_checksum_divergences_total",
    "Tables a caja found different from the cloud's checksums (it re-fetched them)",
    ["table"],
)
SEDE_LAST_CONTACT = Gauge(
    "stocky_sede_last_contact_timestamp_seconds",
    "When a caja of the sede last pushed, pulled or pinged (Unix time)",
    ["sede_id"],
    multiprocess_mode="max",
)
SOCKETS = Gauge(
    "stocky_realtime_sockets",
    "Socket.IO connections open on this process, by kind (caja or user)",
    ["kind"],
    multiprocess_mode="liveall",
)
JOBS = Counter(
    "stocky_jobs_total",
    "Job attempts run by this host's workers, by task and outcome",
    ["task", "outcome"],
)
DB_POOL_SIZE = Gauge(
    "stocky_db_pool_size",
    "Connections the database pool keeps (its overflow may add as many again)",
    multiprocess_mode="livesum",
)
DB_POOL_CHECKED_OUT = Gauge(
    "stocky_db_pool_checked_out",
    "Database connections in use right now",
    multiprocess_mode="livesum",
)
REDIS_ERRORS = Counter(
    "stocky_redis_errors_total", "Redis commands that failed (timeouts, refused connections)"
)


def multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def render(extra: Collector | None = None) -> bytes:
    """The text exposition: this process's metrics (or the host's, in multiprocess mode)
    followed by `extra`, the figures read at scrape time."""
    if multiprocess():
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        out = generate_latest(registry)
    else:
        out = generate_latest(REGISTRY)
    if extra is not None:
        scraped = CollectorRegistry(auto_describe=False)
        scraped.register(extra)
        out += generate_latest(scraped)
    return out


def mark_process_dead(pid: int) -> None:
    """A stopping process's live gauges (sockets, pool) leave the host's sums."""
    if multiprocess():
        from prometheus_client import multiprocess as mp

        mp.mark_process_dead(pid)  # type: ignore[no-untyped-call]
