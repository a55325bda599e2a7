"""GET /metrics: Prometheus text, for the addresses allowed or a bearer token.

Open to loopback by default (a Prometheus on the same host, or an SSH tunnel); a scraper
elsewhere gets either its address in STOCKY_METRICS_ALLOW or STOCKY_METRICS_TOKEN as its
bearer token. Behind a reverse proxy every request comes from the proxy's address: set a
token then, or keep /metrics off the proxy.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Iterable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from stocky.cloud.config import Settings
from stocky.cloud.observability.metrics import CONTENT_TYPE, render
from stocky.cloud.observability.pool import refresh_pool_gauge

log = logging.getLogger(__name__)

router = APIRouter()

# Bounded: procrastinate's statuses times our few queues.
QUEUE_SQL = text("SELECT queue_name, status::text, count(*) FROM procrastinate_jobs GROUP BY 1, 2")


class Scraped(Collector):
    """Figures read from the database at scrape time (cheap, bounded queries)."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterable[Metric]:
        return self.families


async def scrape_database(engine: AsyncEngine) -> list[Metric]:
    queue = GaugeMetricFamily(
        "stocky_jobs_queue",
        "Jobs in the queue table by queue and status",
        labels=["queue", "status"],
    )
    up = GaugeMetricFamily("stocky_db_up", "1 when the scrape could read the database")
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(QUEUE_SQL)).all()
    except (SQLAlchemyError, OSError) as exc:
        log.warning("metrics: could not read the job queue (%s)", type(exc).__name__)
        up.add_metric([], 0)
        return [up]
    for queue_name, status, count in rows:
        queue.add_metric([str(queue_name), str(status)], float(count))
    up.add_metric([], 1)
    return [queue, up]


def _allowed(request: Request, settings: Settings) -> bool:
    token = settings.metrics_token
    header = request.headers.get("authorization", "")
    if token is not None and header.lower().startswith("bearer "):
        return secrets.compare_digest(header[7:].strip(), token.get_secret_value())
    host = request.client.host if request.client else None
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return any(address in network for network in settings.metrics_allow)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not _allowed(request, settings):
        return JSONResponse(
            {
                "error": "forbidden",
                "message": "metrics: this address is not allowed; send the metrics token",
            },
            status_code=403,
        )
    families = await scrape_database(request.app.state.engine)
    refresh_pool_gauge()  # exact at scrape time, whatever the pool events last saw
    return Response(render(Scraped(families)), media_type=CONTENT_TYPE)


def install(app: FastAPI) -> None:
    """The /metrics route and the outermost request middleware (ids, latency, access log)."""
    from stocky.cloud.observability.middleware import ObservabilityMiddleware

    app.include_router(router)
    app.add_middleware(ObservabilityMiddleware)
