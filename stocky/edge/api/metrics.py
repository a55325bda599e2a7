"""GET /local/metrics: the caja's sync health in Prometheus text, for a node exporter's
textfile job or a Prometheus on the shop's network through an SSH tunnel.

Loopback peers only, no login: it carries counts and times, no business data (the same
figures as GET /local/api/status, computed by stocky.edge.sync.status.caja_status). Written
by hand in the text format: the caja does not need prometheus-client for a dozen lines.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from stocky.edge.store import Store
from stocky.edge.sync.status import caja_status

router = APIRouter()

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LAN_ROLES = ("master", "slave", "standalone")


def _timestamp(value: Any) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).timestamp()
        except ValueError:
            return None
    return None


def _label(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Exposition:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(
        self,
        name: str,
        kind: str,
        help_text: str,
        value: float | None,
        labels: dict[str, object] | None = None,
    ) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        if value is None:  # never happened yet: the family is declared, no sample
            return
        sample = f"{name}_total" if kind == "counter" else name
        if labels:
            inner = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            sample = f"{sample}{{{inner}}}"
        self.lines.append(f"{sample} {float(value)!r}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def render(status: dict[str, Any]) -> str:
    out = Exposition()
    sede = status.get("sede") or {}
    out.add(
        "stocky_caja_info",
        "gauge",
        "The caja's identity (always 1)",
        1,
        {"sede_id": sede.get("sede_id") or "", "device_id": sede.get("device_id") or ""},
    )
    out.add(
        "stocky_caja_online",
        "gauge",
        "1 when the last cloud call got through",
        1 if status["online"] else 0,
    )
    out.add(
        "stocky_caja_pending_ops", "gauge", "Operations waiting to be pushed", status["pending_ops"]
    )
    out.add(
        "stocky_caja_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest operation not pushed yet (0 with none)",
        status["oldest_pending_age_seconds"] or 0,
    )
    out.add(
        "stocky_caja_rejected_ops",
        "gauge",
        "Operations the cloud refused for good",
        status["rejected_ops"],
    )
    out.add(
        "stocky_caja_conflict_ops",
        "gauge",
        "Operations the cloud answered conflict",
        status["conflict_ops"],
    )
    out.add(
        "stocky_caja_stuck_ops",
        "gauge",
        "Pending operations that keep failing",
        status["stuck_ops"],
    )
    for what in ("push", "pull", "ping"):
        out.add(
            f"stocky_caja_last_{what}_timestamp_seconds",
            "gauge",
            f"When the last successful {what} ended (Unix time)",
            _timestamp(status.get(f"last_{what}_at")),
        )
    out.add(
        "stocky_caja_checksum_divergences",
        "counter",
        "Tables found different from the cloud's checksums (each re-fetched)",
        status["checksum_divergences"],
    )
    role = status.get("role") or "standalone"
    out.add(
        "stocky_caja_lan_master",
        "gauge",
        "1 while this caja is its sede's LAN master",
        1 if role == "master" else 0,
    )
    out.add(
        "stocky_caja_lan_role",
        "gauge",
        "The caja's LAN role (the labelled one is 1)",
        1,
        {"role": role if role in LAN_ROLES else "standalone"},
    )
    return out.text()


@router.get("/local/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    host = request.client.host if request.client else ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        return JSONResponse(
            {"error": "forbidden", "message": "metrics: loopback only"}, status_code=403
        )
    store: Store = request.app.state.store
    threshold = request.app.state.settings.clock_skew_threshold_seconds
    status = await store.aread(lambda conn: caja_status(conn, clock_skew_threshold_s=threshold))
    return PlainTextResponse(render(status), media_type=CONTENT_TYPE)
