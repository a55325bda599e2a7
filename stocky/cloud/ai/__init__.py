"""The AI catalog normalizer (issue 18, ARCHITECTURE §8): pure, offline logic for now.

`LocalProvider().normalize(rows)` gives each product a clean name, brand, variant, size and
unit, pack and category with a confidence and reasons, and groups likely duplicates. Nothing
here touches the database: the API, jobs and review screens build on it.
"""

from stocky.cloud.ai.provider import LocalProvider, NormalizerProvider
from stocky.cloud.ai.schemas import DuplicateGroup, NormalizeResult, ProductRow, Suggestion

__all__ = [
    "DuplicateGroup",
    "LocalProvider",
    "NormalizeResult",
    "NormalizerProvider",
    "ProductRow",
    "Suggestion",
]
