"""A brand lexicon learned from the tenant's own catalog.

A brand is a word (or two) that is not Spanish retail vocabulary and recurs across the
catalog's rows, wherever the shop put it (first, after the product's name, last); a word
capitalised inside an otherwise lower-case name is one too. Brands written once and known
across Latin American retail come from a small seed list, only where the catalog is silent.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from stocky.cloud.ai.text import fold, key
from stocky.cloud.ai.vocab import GENERIC_WORDS, SEED_BRANDS, STOPWORDS

# Words that begin a brand of two words (De Todito, La Muñeca, San Jorge, Casa Luker).
_BRAND_PREFIXES = frozenset({"de", "la", "el", "los", "las", "san", "santa", "don", "dona", "casa"})
_MAX_WORDS = 3


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a product name: folded, and as it was written."""

    folded: str
    written: str


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    source: str  # "catalog" or "seed"
    rows: int
    leading: int = 0  # rows that begin with it

    @property
    def lead_share(self) -> float:
        return self.leading / self.rows if self.rows else 0.0


@dataclass(frozen=True, slots=True)
class BrandMatch:
    start: int
    end: int
    brand: Brand
    reason: str


@dataclass
class BrandLexicon:
    """Brands by their key (letters and digits of the folded name: cocacola, vancamps)."""

    brands: dict[str, Brand] = field(default_factory=dict)
    _fuzzy_keys: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._fuzzy_keys = sorted(k for k in self.brands if len(k) >= 4)

    def __contains__(self, brand_key: str) -> bool:
        return brand_key in self.brands

    def find(self, words: Sequence[Word]) -> BrandMatch | None:
        """The brand in a name: the best whole match of one to three words, else one word
        that is a typo of a known brand (one letter off)."""
        best: tuple[tuple[bool, bool, int, int], BrandMatch] | None = None
        for size in range(_MAX_WORDS, 0, -1):
            for start in range(len(words) - size + 1):
                brand = self.brands.get("".join(key(w.folded) for w in words[start : start + size]))
                if brand is None:
                    continue
                # Two brand-like words in one name: the brand is the one shops put first
                # (a kind they do not know, "Triple Hoja", never leads).
                rank = (brand.source == "catalog", brand.lead_share > 0, brand.rows, size)
                if best is None or rank > best[0]:
                    reason = f"marca {brand.name} ({_why(brand)})"
                    best = (rank, BrandMatch(start, start + size, brand, reason))
        if best is not None:
            return best[1]
        return self._find_typo(words)

    def _find_typo(self, words: Sequence[Word]) -> BrandMatch | None:
        for index, word in enumerate(words):
            token = key(word.folded)
            if len(token) < 4 or word.folded in GENERIC_WORDS or not token.isalpha():
                continue
            found = process.extractOne(
                token, self._fuzzy_keys, scorer=Levenshtein.distance, score_cutoff=1
            )
            if found is not None:
                brand = self.brands[found[0]]
                reason = f"marca {brand.name} («{word.written}» parece un error de escritura)"
                return BrandMatch(index, index + 1, brand, reason)
        return None


def _why(brand: Brand) -> str:
    if brand.source == "seed":
        return "marca conocida"
    return f"se repite en {brand.rows} productos del catálogo"


def _is_candidate(word: str) -> bool:
    return (
        len(word) >= 2
        and word not in GENERIC_WORDS
        and any(c.isalpha() for c in word)
        and not any(c.isdigit() for c in word)
    )


def _capitalised_in_lower_name(words: Sequence[Word], index: int) -> bool:
    """A capitalised word inside a name written in lower case ("jabón en barra Rey")."""
    written = words[index].written
    if index == 0 or not written[:1].isupper() or written.isupper():
        return False
    others = [w.written for i, w in enumerate(words) if i != index and w.folded not in STOPWORDS]
    return any(o.islower() for o in others)


def learn_brands(
    names: Iterable[Sequence[Word]], seed: bool = True, typos: Collection[str] = ()
) -> BrandLexicon:
    """Learns the brands of a catalog from its names (words without the sizes); its typos of
    common words, however often repeated, are not brands."""
    rows: Counter[str] = Counter()
    leading: Counter[str] = Counter()
    cue: Counter[str] = Counter()
    before: dict[str, Counter[str]] = defaultdict(Counter)
    after: dict[str, Counter[str]] = defaultdict(Counter)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for words in names:
        seen: set[str] = set()
        for index, word in enumerate(words):
            if not _is_candidate(word.folded) or word.folded in typos:
                continue
            seen.add(word.folded)
            spellings[word.folded][word.written] += 1
            before[word.folded][words[index - 1].folded if index else ""] += 1
            after[word.folded][words[index + 1].folded if index + 1 < len(words) else ""] += 1
            if index == 0 or (index == 1 and words[0].folded in _BRAND_PREFIXES):
                leading[word.folded] += 1
            if _capitalised_in_lower_name(words, index):
                cue[word.folded] += 1
        rows.update(seen)
    learned: dict[str, Brand] = {}
    for token, count in rows.items():
        if count < 2 and not cue[token]:
            continue
        phrase, written = _extend(token, count, rows, before, after, spellings)
        learned[key(phrase)] = Brand(written, "catalog", count, leading[token])
    _alias_typos(learned)
    return _with_seeds(learned) if seed else BrandLexicon(learned)


def _alias_typos(learned: dict[str, Brand]) -> None:
    """A learned brand one letter off a brand the catalog writes at least ten times as often
    is a typo of it (Recorel for Relcorel): it stands for that brand."""
    by_rows = sorted(learned, key=lambda k: (-learned[k].rows, k))
    for index, brand_key in enumerate(by_rows):
        brand = learned[brand_key]
        if len(brand_key) < 4:
            continue
        bigger = [k for k in by_rows[:index] if learned[k].rows >= 10 * brand.rows and len(k) >= 4]
        found = process.extractOne(brand_key, bigger, scorer=Levenshtein.distance, score_cutoff=1)
        if found is not None:
            learned[brand_key] = learned[found[0]]


def _extend(
    word: str,
    count: int,
    rows: Counter[str],
    before: dict[str, Counter[str]],
    after: dict[str, Counter[str]],
    spellings: dict[str, Counter[str]],
) -> tuple[str, str]:
    """A brand word always preceded by an article (de todito) or always next to another
    brand-like word of the same rows (sello rojo is not: rojo is a colour) is a two-word
    brand."""
    written = _written(spellings[word])
    prev, prev_count = before[word].most_common(1)[0]
    if count >= 2 and prev_count == count and prev in _BRAND_PREFIXES:
        return f"{prev} {word}", f"{_capital(prev)} {written}"
    nxt, next_count = after[word].most_common(1)[0]
    if count >= 2 and next_count == count and nxt and rows[nxt] == count and _is_candidate(nxt):
        return f"{word} {nxt}", f"{written} {_written(spellings[nxt])}"
    return word, written


def _capital(word: str) -> str:
    return word[:1].upper() + word[1:]


def _written(forms: Counter[str]) -> str:
    """The brand as shown: the spelling with accents if any was written, in its own mixed case
    if any, else capitalised (NESCAFÉ and Nescafe -> Nescafé)."""
    ranked = sorted(forms.items(), key=lambda f: (f[0].isascii(), -f[1], f[0]))
    best = ranked[0][0]
    if not best.isupper() and not best.islower():
        return best
    return " ".join("-".join(map(_capital, w.split("-"))) for w in best.lower().split(" "))


def _with_seeds(learned: dict[str, Brand]) -> BrandLexicon:
    brands: dict[str, Brand] = {}
    for name in SEED_BRANDS:
        brands[key(fold(name))] = Brand(name, "seed", 0)
    for brand_key, brand in learned.items():
        seeded = brands.get(brand_key)
        # The seed list knows how a known brand is written (accents, capitals).
        name = seeded.name if seeded is not None else brand.name
        brands[brand_key] = Brand(name, "catalog", brand.rows, brand.leading)
    return BrandLexicon(brands)
