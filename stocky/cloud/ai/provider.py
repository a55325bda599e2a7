"""Normalizer providers behind one interface. `local` (the default) is offline and
deterministic: Spanish retail text rules and rapidfuzz, no key, no network."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from stocky.cloud.ai.duplicates import find_duplicates
from stocky.cloud.ai.normalize import Normalizer
from stocky.cloud.ai.schemas import NormalizeResult, ProductRow


class NormalizerProvider(Protocol):
    name: str

    def normalize(self, rows: Sequence[ProductRow]) -> NormalizeResult:
        """Suggestions for every row and the groups of likely duplicates among them."""
        ...


class LocalProvider:
    """Rules and fuzzy matching on the tenant's own catalog; the same rows give the same
    result, in any order."""

    name = "local"

    def __init__(self, categories: Sequence[str] | None = None, seed_brands: bool = True) -> None:
        self.categories = list(categories) if categories else None
        self.seed_brands = seed_brands

    def normalize(self, rows: Sequence[ProductRow]) -> NormalizeResult:
        analysed = Normalizer(rows, self.categories, self.seed_brands).analyse()
        groups = find_duplicates(
            [a.suggestion.id for a in analysed], [a.features for a in analysed]
        )
        return NormalizeResult(
            provider=self.name, suggestions=[a.suggestion for a in analysed], groups=groups
        )
