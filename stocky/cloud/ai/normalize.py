"""One product name read and written clean: its words, size and pack, brand, variant and
category, and the features the duplicate finder compares."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from stocky.cloud.ai.brands import BrandLexicon, Word, learn_brands
from stocky.cloud.ai.categories import CategoryMapper
from stocky.cloud.ai.schemas import ProductRow, Suggestion
from stocky.cloud.ai.text import (
    clean_punctuation,
    collapse_spaces,
    display_word,
    fold,
    key,
    near_common_words,
    split_glued,
    typos,
)
from stocky.cloud.ai.units import Measure, format_measure, parse_measure
from stocky.cloud.ai.vocab import GENERIC_WORDS, PRODUCT_WORDS, STOPWORDS, VARIANT_WORDS

_WORD = re.compile(r"[a-z0-9]+(?:['&+-][a-z0-9]+)*")
_PRODUCE = "Frutas y Verduras"


@dataclass(frozen=True, slots=True)
class Features:
    """What the duplicate finder compares of one product (all folded)."""

    signature: tuple[str, str, int] | None
    brand: str | None  # its key
    brand_name: str | None
    tokens: tuple[str, ...]
    variants: frozenset[str]
    shown: str  # the clean name, for reasons


@dataclass(frozen=True, slots=True)
class Analysed:
    suggestion: Suggestion
    features: Features


def read_name(name: str) -> tuple[list[Word], Measure]:
    """A name's words (sizes taken out, glued words split) and its size."""
    written = collapse_spaces(clean_punctuation(name))
    folded = fold(written)
    measure = parse_measure(folded)
    for start, end in measure.spans:
        folded = folded[:start] + " " * (end - start) + folded[end:]
    words: list[Word] = []
    for match in _WORD.finditer(folded):
        if match.group() != "x":
            words.append(Word(match.group(), written[match.start() : match.end()]))
    return words, measure


def split_rare(words: list[Word], frequency: Counter[str]) -> list[Word]:
    """Splits glued words ("DETERGENTEPOLVO"): two common words, or a common word and another
    that the catalog never writes glued elsewhere (a brand such as "Gourmetvita" stays)."""
    out: list[Word] = []
    for word in words:
        parts = split_glued(word.folded, GENERIC_WORDS)
        if near_common_words(word.folded):  # a typo (Aguaridente), not two words
            parts = [word.folded]
        elif (
            len(parts) > 1
            and frequency[word.folded] > 1
            and not all(p in GENERIC_WORDS for p in parts)
        ):
            parts = [word.folded]
        at = 0
        for part in parts:
            out.append(Word(part, word.written[at : at + len(part)]))
            at += len(part)
    return out


def singular(token: str) -> str:
    return token[:-1] if len(token) > 3 and token.endswith("s") else token


def _is_variant(word: str) -> bool:
    return word in VARIANT_WORDS or singular(word) in VARIANT_WORDS


# Words a name may leave out and still be the same product ("Papel Doble Hoja" for "Papel
# Higiénico Doble Hoja"): names of the kind of product, never a flavour or kind.
OMITTABLE = frozenset(singular(key(w)) for w in PRODUCT_WORDS if not _is_variant(w))


class Normalizer:
    """Normalizes one catalog: brands are learned from all of its names first."""

    def __init__(
        self,
        rows: Sequence[ProductRow],
        categories: Sequence[str] | None = None,
        seed_brands: bool = True,
    ) -> None:
        self.rows = list(rows)
        read = [read_name(row.name) for row in self.rows]
        whole: Counter[str] = Counter()
        for words, _ in read:
            whole.update({w.folded for w in words})
        self.read = [(split_rare(words, whole), measure) for words, measure in read]
        frequency: Counter[str] = Counter()
        for words, _ in self.read:
            frequency.update({w.folded for w in words})
        self.typos = typos(frequency)
        self.lexicon: BrandLexicon = learn_brands(
            (w for w, _ in self.read), seed=seed_brands, typos=self.typos
        )
        self.categories = CategoryMapper(categories)

    def analyse(self) -> list[Analysed]:
        return [
            self._analyse(row, words, measure)
            for row, (words, measure) in zip(self.rows, self.read, strict=True)
        ]

    def _correct(self, word: Word) -> Word:
        """A typo of a common word is that word (Spagehtti, Acetie), unless it is a brand."""
        if key(word.folded) in self.lexicon:
            return word
        fixed = self.typos.get(word.folded)
        return word if fixed is None else Word(fixed, fixed)

    def _analyse(self, row: ProductRow, words: list[Word], measure: Measure) -> Analysed:
        reasons: list[str] = []
        confidence = 1.0
        match = self.lexicon.find(words)
        core = list(words)
        brand = None
        if match is not None:
            core = words[: match.start] + words[match.end :]
        core = [self._correct(w) for w in core]
        folded_core = [w.folded for w in core]
        category = self.categories.assign([w for w in folded_core if w not in ("x",)])
        if match is not None and not (category.name == _PRODUCE and match.brand.source == "seed"):
            brand = match.brand.name
            reasons.append(match.reason)
        elif match is not None:
            core = list(words)
            folded_core = [w.folded for w in core]
        else:
            confidence -= 0.1
            reasons.append("sin marca reconocida")
        head = next((w for w in folded_core if w not in STOPWORDS), "")
        variant_words = [
            w
            for i, w in enumerate(folded_core)
            if (_is_variant(w) and not (w == head and w in PRODUCT_WORDS))
            or (w == "sin" and i + 1 < len(folded_core))
        ]
        variants = _variant_phrase(folded_core, variant_words)
        if measure.size is None:
            confidence -= 0.25
            reasons.append("sin tamaño")
        else:
            pack = f", paquete de {measure.pack}" if measure.pack > 1 else ""
            reasons.append(f"tamaño {measure.size}{pack}")
        reasons.extend(measure.notes)
        if category.name is None:
            confidence -= 0.25
        confidence -= 0.1 * (category.confidence < 0.8)
        reasons.append(category.reason)
        shown = " ".join(
            part
            for part in (
                " ".join(display_word(w) for w in folded_core),
                brand or "",
                format_measure(measure.size, measure.pack),
            )
            if part
        )
        suggestion = Suggestion(
            id=row.id,
            clean_name=shown or collapse_spaces(row.name),
            brand=brand,
            variant=" ".join(display_word(w) for w in variants) or None,
            size=measure.size.amount if measure.size else None,
            unit=measure.size.unit if measure.size else None,
            pack=measure.pack,
            category=category.name,
            confidence=round(max(confidence, 0.05), 2),
            reasons=reasons,
        )
        features = Features(
            signature=measure.signature(),
            brand=key(fold(brand)) if brand else None,
            brand_name=brand,
            tokens=tuple(singular(key(w)) for w in folded_core if w not in STOPWORDS and key(w)),
            variants=frozenset(singular(w) for w in variants),
            shown=shown,
        )
        return Analysed(suggestion, features)


def _variant_phrase(words: list[str], variant_words: list[str]) -> list[str]:
    """Variant words in name order, "sin" kept with the word it negates (sin azúcar)."""
    chosen = set(variant_words)
    out: list[str] = []
    for index, word in enumerate(words):
        if word == "sin" and index + 1 < len(words):
            out.append(word)
            out.append(words[index + 1])
            chosen.discard(words[index + 1])
        elif word in chosen and (not out or out[-1] != word):
            out.append(word)
    return out
