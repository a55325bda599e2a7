"""The normalizer's input and output (pydantic): what the API and the review screens carry."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class ProductRow(BaseModel):
    """A product as the normalizer sees it: its id and name, nothing else (no price, no
    stock)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str


class Suggestion(BaseModel):
    """What the normalizer proposes for one product; a person accepts, edits or rejects it."""

    id: str
    clean_name: str
    brand: str | None = None
    variant: str | None = None
    size: Decimal | None = None
    unit: str | None = None
    pack: int = 1
    category: str | None = None
    confidence: float = Field(ge=0, le=1)
    reasons: list[str] = Field(default_factory=list)


class DuplicateGroup(BaseModel):
    """Products that are likely one product written several ways; ids sorted."""

    ids: list[str]
    score: float = Field(ge=0, le=100)
    reason: str


class Usage(BaseModel):
    """What a model provider spent: tokens summed over every request made, including answers
    that were rejected; the cost is None for a model without a known price."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal | None = None


class BatchReport(BaseModel):
    """How one batch of rows was answered: by the model, or by `local` and why."""

    index: int
    rows: int
    provider_used: str
    attempts: int = 0
    reason: str | None = None


class NormalizeResult(BaseModel):
    provider: str
    suggestions: list[Suggestion]
    groups: list[DuplicateGroup]
    model: str | None = None
    usage: Usage | None = None
    batches: list[BatchReport] = Field(default_factory=list)
