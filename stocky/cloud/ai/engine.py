"""Running a chosen provider over some rows with the catalog as context (sync calls and
catalog runs share it)."""

from __future__ import annotations

from collections.abc import Sequence

from stocky.cloud.ai.normalize import Normalizer
from stocky.cloud.ai.registry import Chosen
from stocky.cloud.ai.schemas import NormalizeResult, ProductRow


def run_provider(
    chosen: Chosen, rows: Sequence[ProductRow], context: Sequence[ProductRow] = ()
) -> NormalizeResult:
    """The provider over `rows` (with `context`: more of the catalog, for the brands it
    learns), answering for `rows` only: their suggestions, and the groups holding one."""
    wanted = {r.id for r in rows}
    extra = [c for c in context if c.id not in wanted]
    result = chosen.provider.normalize([*rows, *extra])
    if not extra:
        return result
    return result.model_copy(
        update={
            "suggestions": [s for s in result.suggestions if s.id in wanted],
            "groups": [g for g in result.groups if wanted.intersection(g.ids)],
        }
    )


def catalog_brands(rows: Sequence[ProductRow]) -> list[str]:
    """The brands the local rules learn from the catalog's names (what a model is told)."""
    if not rows:
        return []
    lexicon = Normalizer(rows).lexicon
    return sorted({b.name for b in lexicon.brands.values() if b.source == "catalog"})
