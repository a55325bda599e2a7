"""Sedes in and out."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Every caja of the sede receives its config on activation and on every pull: keep it small.
CONFIG_MAX_BYTES = 16 * 1024
CONFIG_MAX_DEPTH = 8
# The point of sale's grid of favourite products (items without a barcode): product ids,
# in the order the grid shows them.
MAX_FAVOURITES = 24


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _bounded_config(config: dict[str, Any]) -> dict[str, Any]:
    size = len(json.dumps(config, separators=(",", ":"), ensure_ascii=False).encode())
    if size > CONFIG_MAX_BYTES:
        raise ValueError(f"is {size} bytes as JSON; at most {CONFIG_MAX_BYTES} are allowed")
    if _depth(config) > CONFIG_MAX_DEPTH:
        raise ValueError(f"nests deeper than {CONFIG_MAX_DEPTH} levels")
    favourites = config.get("favourites")
    if favourites is not None:
        config = {**config, "favourites": _favourites(favourites)}
    return config


def _favourites(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_FAVOURITES:
        raise ValueError(f"favourites must be a list of at most {MAX_FAVOURITES} product ids")
    try:
        ids = [str(uuid.UUID(str(item))) for item in value]
    except ValueError:
        raise ValueError("favourites must hold product ids (uuids)") from None
    if len(set(ids)) != len(ids):
        raise ValueError("favourites must not repeat a product")
    return ids


SedeConfig = Annotated[dict[str, Any], AfterValidator(_bounded_config)]


class SedeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    timezone: str | None = Field(default=None, max_length=60)
    config: SedeConfig = Field(default_factory=dict)


class SedeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    timezone: str | None = Field(default=None, max_length=60)
    config: SedeConfig | None = None
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
    config: dict[str, Any]
    version: int
