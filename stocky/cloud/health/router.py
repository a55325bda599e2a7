"""GET /health: is the API able to reach its database and Redis?"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from stocky.cloud.deps import RedisDep, SessionMakerDep

router = APIRouter(tags=["health"])
CHECK_TIMEOUT_S = 3.0


async def _check_database(sessionmaker: SessionMakerDep) -> str:
    async with sessionmaker() as session:
        await session.execute(text("SELECT 1"))
    return "ok"


async def _check(coro: Any) -> str:
    try:
        return str(await asyncio.wait_for(coro, CHECK_TIMEOUT_S))
    except Exception as exc:
        return f"down: {type(exc).__name__}"


@router.get("/health", summary="Database and Redis reachability")
async def health(sessionmaker: SessionMakerDep, redis: RedisDep) -> JSONResponse:
    database = await _check(_check_database(sessionmaker))
    cache = await _check(redis.ping())
    cache = "ok" if cache == "True" else cache
    healthy = database == "ok" and cache == "ok"
    body = {"status": "ok" if healthy else "degraded", "database": database, "redis": cache}
    return JSONResponse(body, status_code=200 if healthy else 503)
