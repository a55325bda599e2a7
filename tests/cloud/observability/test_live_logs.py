"""A real `stocky cloud serve --with-worker` with JSON logs: every line parses, the access
line of a caja's push carries the id the caja logged, no secret reaches the log, and its
/metrics counts a Socket.IO connection and the jobs it ran."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from stocky.cloud.db import SessionMaker
from stocky.cloud.tenants.service import create_tenant
from stocky.core.sync import PushRequest
from stocky.edge.sync.client import CloudClient
from tests.cloud.factories import create_product, create_sede
from tests.cloud.observability.scrape import value
from tests.cloud.sync.ops import sale_op
from tests.fixtures.cloud_process import CloudProcess

pytestmark = pytest.mark.asyncio

PASSWORD = "Contraseña-muy-secreta-42"
WRONG_PASSWORD = "Clave-equivocada-99"
WAIT_S = 60.0


def restart_with_json_logs(cloud: CloudProcess) -> None:
    cloud.kill()
    cloud.env.update(
        {
            "STOCKY_LOG_FORMAT": "json",
            "STOCKY_LOG_LEVEL": "info",
            # The stalled-job sweep runs every 2 s: a job outcome to count soon.
            "STOCKY_WORKER_STALLED_AFTER_S": "4",
        }
    )
    cloud.with_worker = True
    cloud.start()


def log_lines(path: Path) -> list[dict[str, Any]]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    # The fixture's log file also holds the first start's text lines (before the restart).
    start = max(i for i, line in enumerate(lines) if not line.startswith("{")) + 1
    return [json.loads(line) for line in lines[start:]]


async def poll_metric(url: str, name: str, want: float, **labels: str) -> float:
    deadline = time.monotonic() + WAIT_S
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while True:
            got = value((await http.get("/metrics")).text, name, **labels)
            if got == want or time.monotonic() > deadline:
                return got
            await asyncio.sleep(0.5)


async def seed(sm: SessionMaker) -> tuple[uuid.UUID, uuid.UUID, str, Any]:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.co"
    async with sm() as session, session.begin():
        created = await create_tenant(
            session, name="Tienda", owner_email=email, owner_password=PASSWORD
        )
    tenant_id = created.tenant.id
    sede_id = await create_sede(sm, tenant_id, "Centro")
    product = await create_product(sm, tenant_id, name="Arroz 500 g", sku="ARZ-500")
    return tenant_id, sede_id, email, product


class TestLiveObservability:
    async def test_logs_request_ids_redaction_sockets_and_jobs(
        self,
        cloud_process: CloudProcess,
        app_sessionmaker: SessionMaker,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        restart_with_json_logs(cloud_process)
        url = cloud_process.url
        _tenant_id, sede_id, email, product = await seed(app_sessionmaker)
        secrets: list[str] = [PASSWORD, WRONG_PASSWORD]
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            wrong = await http.post(
                "/api/auth/login", json={"email": email, "password": WRONG_PASSWORD}
            )
            assert wrong.status_code == 401
            tokens = (
                await http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            ).json()
            secrets += [tokens["access_token"], tokens["refresh_token"]]
            rotated = await http.post(
                "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
            )
            assert rotated.status_code == 200, rotated.text
            secrets += [rotated.json()["access_token"], rotated.json()["refresh_token"]]
            owner = {"Authorization": f"Bearer {tokens['access_token']}"}
            code = await http.post(f"/api/sedes/{sede_id}/activation-codes", headers=owner)
            assert code.status_code == 201, code.text
            secrets.append(code.json()["code"])
            # A token in a query string and a refused one in the header: neither is logged.
            assert (await http.get(f"/api/me?token={tokens['access_token']}")).status_code
            assert (
                await http.get("/api/me", headers={"Authorization": "Bearer eyJhbGciOi.x.y"})
            ).status_code == 401
            activated = await http.post(
                "/api/activate", json={"code": code.json()["code"], "device_name": "Caja 1"}
            )
            assert activated.status_code == 200, activated.text
            answer = activated.json()
            credential = answer["device_credential"]
            secrets.append(credential)
            hashes = [u["password_hash"] for u in answer["users"] if u.get("password_hash")]
            assert hashes
            assert all(h.startswith("$argon2") for h in hashes)
            secrets += hashes

        caja = CloudClient(url, credential)
        push = PushRequest.model_validate(
            {
                "sede_id": str(sede_id),
                "device_id": answer["device"]["id"],
                "operations": [sale_op([(product.id, "1", "2500.00")])],
            }
        )
        with caplog.at_level(logging.INFO, logger="stocky.edge.sync.client"):
            pushed = await caja.push(push)
        await caja.aclose()
        assert pushed.results[0].status == "applied"
        (caja_line,) = [
            r.getMessage() for r in caplog.records if "/api/sync/push" in r.getMessage()
        ]
        match = re.search(r"request_id=([0-9a-f]{32})", caja_line)
        assert match, caja_line
        push_id = match.group(1)

        sio = socketio.AsyncClient(reconnection=False)
        await sio.connect(url, auth={"token": credential}, transports=["websocket"])
        try:
            assert await poll_metric(url, "stocky_realtime_sockets", 1, kind="caja") == 1
        finally:
            await sio.disconnect()
        assert await poll_metric(url, "stocky_realtime_sockets", 0, kind="caja") == 0

        deadline = time.monotonic() + WAIT_S
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            while True:
                text = (await http.get("/metrics")).text
                ran = value(
                    text, "stocky_jobs_total", task="jobs.retry_stalled", outcome="succeeded"
                )
                if ran >= 1 or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.5)
        assert ran >= 1
        assert value(text, "stocky_sync_push_ops_total", status="applied") >= 1

        lines = log_lines(cloud_process.log_path)
        access = [line for line in lines if line["logger"] == "stocky.access"]
        (push_line,) = [line for line in access if line.get("route") == "/api/sync/push"]
        assert push_line["request_id"] == push_id
        assert push_line["status"] == 200
        assert push_line["tenant_id"] == str(_tenant_id)
        assert push_line["duration_ms"] >= 0
        assert {"ts", "level", "msg"} <= push_line.keys()
        refused = [line for line in access if line.get("route") == "/api/auth/login"]
        assert sorted(line["status"] for line in refused) == [200, 401]
        raw = cloud_process.log_path.read_text(encoding="utf-8")
        leaked = [s for s in secrets if s in raw]
        assert not leaked, f"secrets in the cloud's log: {[s[:12] for s in leaked]}"
        assert "$argon2" not in raw
