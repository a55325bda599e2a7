"""Normalizer results cached in Redis, keyed by the sha256 of what decides them: the
normalized input, the tenant's categories and catalog context, provider, model and version."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from stocky.cloud.ai.schemas import NormalizeResult, ProductRow
from stocky.cloud.ai.text import collapse_spaces
from stocky.cloud.redis import RedisClient

log = logging.getLogger(__name__)


def cache_key(
    rows: Sequence[ProductRow],
    *,
    provider: str,
    model: str | None,
    version: str,
    context: Any = None,
) -> str:
    """Rows are taken in id order with their spacing collapsed: the same input, however it
    came, is one key. `context` is anything else the provider was given (categories...)."""
    normalized = sorted((row.id, collapse_spaces(row.name)) for row in rows)
    payload = json.dumps(
        {"rows": normalized, "p": provider, "m": model, "v": version, "c": context},
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return "ai:cache:" + hashlib.sha256(payload.encode()).hexdigest()


async def get(redis: RedisClient, key: str) -> NormalizeResult | None:
    raw = await redis.get(key)
    if raw is None:
        return None
    try:
        return NormalizeResult.model_validate_json(raw)
    except ValidationError:  # written by another version of the schema
        log.warning("ignoring an unreadable cached normalizer result")
        return None


async def put(redis: RedisClient, key: str, result: NormalizeResult, ttl_s: int) -> None:
    await redis.set(key, result.model_dump_json(), ex=ttl_s)
