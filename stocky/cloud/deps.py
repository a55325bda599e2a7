"""FastAPI dependencies shared by every feature, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis

from stocky.cloud.config import Settings
from stocky.cloud.db import SessionMaker


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_sessionmaker(request: Request) -> SessionMaker:
    sessionmaker: SessionMaker = request.app.state.sessionmaker
    return sessionmaker


def get_redis(request: Request) -> Redis[bytes]:
    redis: Redis[bytes] = request.app.state.redis
    return redis


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionMakerDep = Annotated[SessionMaker, Depends(get_sessionmaker)]
RedisDep = Annotated["Redis[bytes]", Depends(get_redis)]
