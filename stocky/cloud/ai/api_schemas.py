"""What /api/ai takes and answers (the normalizer's own types are in stocky.cloud.ai.schemas)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from stocky.cloud.ai.schemas import BatchReport, DuplicateGroup, Suggestion, Usage

ProviderName = Literal["local", "openai"]
RunStatus = Literal["queued", "running", "done", "failed"]
SuggestionKind = Literal["rename", "merge"]
SuggestionStatus = Literal["pending", "accepted", "rejected", "edited"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RowIn(_In):
    id: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=300)


class NormalizeIn(_In):
    """Either the tenant's products by id or raw rows (an import not yet saved), not both."""

    product_ids: list[uuid.UUID] | None = None
    rows: list[RowIn] | None = None
    provider: ProviderName | None = None


class NormalizeOut(BaseModel):
    provider: str
    model: str | None
    cached: bool
    suggestions: list[Suggestion]
    groups: list[DuplicateGroup]
    # A model's tokens and cost, and which batches it answered (local's fallback says why).
    usage: Usage | None = None
    batches: list[BatchReport] = Field(default_factory=list)


class AiSettingsIn(_In):
    provider: ProviderName = "local"
    model: str | None = Field(default=None, min_length=1, max_length=120)
    base_url: HttpUrl | None = None


class AiSettingsOut(BaseModel):
    provider: ProviderName
    model: str | None
    base_url: str | None
    # Whether the server holds a key for the openai provider (the key itself never leaves it).
    openai_available: bool


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: RunStatus
    provider: str
    model: str | None
    total: int
    processed: int
    suggestions: int
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class SuggestionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    run_id: uuid.UUID
    kind: SuggestionKind
    product_ids: list[uuid.UUID]
    versions: dict[str, int]
    proposed: dict[str, Any]
    confidence: float
    reasons: list[str]
    status: SuggestionStatus
    applied: dict[str, Any] | None
    decided_by: uuid.UUID | None
    decided_at: datetime | None


class SuggestionPage(BaseModel):
    items: list[SuggestionOut]
    next_cursor: str | None


class AcceptIn(_In):
    """Edits of the proposal: a rename's name and category, a merge's survivor."""

    name: str | None = Field(default=None, min_length=1, max_length=300)
    category: str | None = Field(default=None, max_length=120)
    survivor_id: uuid.UUID | None = None


class BulkIn(_In):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    action: Literal["accept", "reject"]


class BulkItem(BaseModel):
    id: uuid.UUID
    status: SuggestionStatus | None
    error: str | None = None
    message: str | None = None


class BulkOut(BaseModel):
    items: list[BulkItem]
