"""Likely duplicates: one product written several ways, never two different products.

Rows are first reduced to their normalized form (rows that read the same are one); forms are
compared only within blocks (same size and pack with the same brand or a word's first
letters; a form without a size against its brand); a pair is scored with rapidfuzz on the
folded words, word by word, after the hard negatives: a different size, pack count, brand or
variant (flavour, kind), a word on each side that is not a typo of the other, or a word only
one has that is not merely the kind of product, is never a duplicate. Groups are joined by
union-find, strongest pairs first, and a group never holds two sizes or two brands, even
through a product that names neither.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

from rapidfuzz import fuzz

from stocky.cloud.ai.normalize import OMITTABLE, Features
from stocky.cloud.ai.schemas import DuplicateGroup

THRESHOLD = 80.0
_BLOCK_LIMIT = 400  # a block this large is a common word: its pairs share another block
_OMITTED_PENALTY = 8.0


@dataclass(frozen=True, slots=True)
class Pair:
    score: float
    reason: str


def _form(f: Features) -> tuple[object, ...]:
    return (f.signature or ("",), f.brand or "", tuple(sorted(f.tokens)), tuple(sorted(f.variants)))


def _align(a: Sequence[str], b: Sequence[str]) -> tuple[list[float], list[str], list[str]]:
    """Pairs each word of a with an equal word of b, else with its closest typo in b."""
    rest = list(b)
    scores: list[float] = []
    unmatched: list[str] = []
    for word in a:
        if word in rest:
            rest.remove(word)
            scores.append(100.0)
            continue
        best, best_score = None, 0.0
        for other in rest:
            if min(len(word), len(other)) < 3 or word[0] != other[0]:
                continue
            score = fuzz.ratio(word, other)
            if score > best_score:
                best, best_score = other, score
        if best is not None and best_score >= 75:
            rest.remove(best)
            scores.append(best_score)
        else:
            unmatched.append(word)
    return scores, unmatched, rest


def compare(a: Features, b: Features) -> Pair | None:
    """The score (0-100) and reason of two products being one, or None if they are not."""
    if a.signature and b.signature and a.signature != b.signature:
        return None
    if a.brand and b.brand and a.brand != b.brand:
        return None
    if a.variants != b.variants:
        return None
    left = (*a.tokens, *([a.brand] if a.brand and not b.brand else []))
    right = (*b.tokens, *([b.brand] if b.brand and not a.brand else []))
    scores, only_a, only_b = _align(left, right)
    if (only_a and only_b) or not scores:
        return None  # a word on each side: another flavour, kind or product
    if any(word not in OMITTABLE for word in (*only_a, *only_b)):
        return None  # a word only one has that may be what tells them apart
    score = sum(scores) / len(scores) - _OMITTED_PENALTY * (len(only_a) + len(only_b))
    notes: list[str] = []
    if only_a or only_b:
        notes.append(f"a uno le falta «{' '.join(only_a or only_b)}»")
    if not (a.signature and b.signature):
        score -= 10
        notes.append("uno no dice su tamaño")
    if not (a.brand and b.brand):
        score -= 5
    if score < THRESHOLD:
        return None
    said = a.brand_name or b.brand_name
    what = [f"marca {said}" if said else "sin marca", "mismo tamaño" if a.signature else ""]
    reason = ", ".join(p for p in (*what, f"nombres {score:.0f}% similares", *notes) if p)
    return Pair(round(score, 1), reason)


def _clash(a: object, b: object) -> bool:
    return a is not None and b is not None and a != b


class _Groups:
    """Union-find whose groups keep the size and brand of any member that has one."""

    def __init__(self, features: Sequence[Features]) -> None:
        self.parent = list(range(len(features)))
        self.signature = [f.signature for f in features]
        self.brand = [f.brand for f in features]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> bool:
        ri, rj = self.find(i), self.find(j)
        if ri == rj:
            return False
        if _clash(self.signature[ri], self.signature[rj]) or _clash(self.brand[ri], self.brand[rj]):
            return False
        root, child = min(ri, rj), max(ri, rj)
        self.parent[child] = root
        if self.signature[root] is None:
            self.signature[root] = self.signature[child]
        if self.brand[root] is None:
            self.brand[root] = self.brand[child]
        return True


def _blocks(forms: Sequence[Features]) -> Iterable[list[int]]:
    by_key: dict[tuple[object, ...], list[int]] = defaultdict(list)
    by_brand: dict[str, list[int]] = defaultdict(list)
    unsized: list[int] = []
    for index, f in enumerate(forms):
        if f.brand:
            by_key[(f.signature, "brand", f.brand)].append(index)
            by_brand[f.brand].append(index)
        for token in set(f.tokens):
            by_key[(f.signature, "word", token[:3])].append(index)
        if f.signature is None:
            unsized.append(index)
    for members in by_key.values():
        if 1 < len(members) <= _BLOCK_LIMIT:
            yield members
    # A form without a size meets every form of its brand (the union keeps sizes apart).
    for index in unsized:
        brand = forms[index].brand
        if brand and len(by_brand[brand]) <= _BLOCK_LIMIT:
            yield [index, *(i for i in by_brand[brand] if i != index)]


def find_duplicates(ids: Sequence[str], features: Sequence[Features]) -> list[DuplicateGroup]:
    """Groups of likely duplicates among products (ids and their features, in any order: the
    groups do not depend on it)."""
    rows_by_form: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for row, f in enumerate(features):
        rows_by_form[_form(f)].append(row)
    ordered = sorted(rows_by_form, key=repr)
    forms = [features[rows_by_form[k][0]] for k in ordered]
    pairs: dict[tuple[int, int], Pair] = {}
    for block in _blocks(forms):
        for i, j in combinations(sorted(set(block)), 2):
            if (i, j) not in pairs:
                found = compare(forms[i], forms[j])
                if found is not None:
                    pairs[(i, j)] = found
    groups = _Groups(forms)
    weakest: dict[int, Pair] = {}
    for i, j in sorted(pairs, key=lambda ij: (-pairs[ij].score, ij)):
        groups.union(i, j)
    members: dict[int, list[int]] = defaultdict(list)
    for index in range(len(forms)):
        members[groups.find(index)].append(index)
    for (i, j), pair in pairs.items():
        root = groups.find(i)
        if root == groups.find(j) and (root not in weakest or pair.score < weakest[root].score):
            weakest[root] = pair
    result: list[DuplicateGroup] = []
    for root, indexes in members.items():
        row_ids = sorted(ids[row] for index in indexes for row in rows_by_form[ordered[index]])
        if len(row_ids) < 2:
            continue
        if root in weakest:
            pair = weakest[root]
            spellings = f"{len(indexes)} escrituras" if len(indexes) > 1 else "misma escritura"
            reason = f"{forms[root].shown}: {spellings}; {pair.reason}"
            score = pair.score
        else:
            reason = f"{forms[root].shown}: misma escritura una vez normalizada"
            score = 100.0
        result.append(DuplicateGroup(ids=row_ids, score=score, reason=reason))
    return sorted(result, key=lambda g: g.ids)
