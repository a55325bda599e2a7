"""Sedes in and out."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SedeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    timezone: str | None = Field(default=None, max_length=60)
    config: dict[str, Any] = Field(default_factory=dict)


class SedeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    timezone: str | None = Field(default=None, max_length=60)
    config: dict[str, Any] | None = None
    active: bool | None = None


class SedeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    address: str | None
    timezone: str | None
    active: bool
    is_online: bool
    last_ping_at: datetime | None
    last_sync_at: datetime | None
    sync_version: int
    config: dict[str, Any]
    version: int
