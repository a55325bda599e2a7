"""FastAPI dependencies shared by every feature, as Annotated aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from stocky.cloud.config import Settings
from stocky.cloud.db import SessionMaker
from stocky.cloud.redis import RedisClient


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_sessionmaker(request: Request) -> SessionMaker:
    sessionmaker: SessionMaker = request.app.state.sessionmaker
    return sessionmaker


def get_redis(request: Request) -> RedisClient:
    redis: RedisClient = request.app.state.redis
    return redis


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionMakerDep = Annotated[SessionMaker, Depends(get_sessionmaker)]
RedisDep = Annotated[RedisClient, Depends(get_redis)]
