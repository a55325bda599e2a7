"""Spanish retail text: folding (accents and case, explicitly: rapidfuzz >= 3 does not
preprocess), spaces, punctuation, glued words, accents restored and title case for display."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from functools import lru_cache

from rapidfuzz import fuzz, process

from stocky.cloud.ai.vocab import ACCENTED, GENERIC_WORDS, LOWER_WORDS, UPPER_WORDS

_SPACES = re.compile(r"\s+")
# Anything that is not a letter, digit, or a separator inside a word or number.
_PUNCT = re.compile(r"[^\w\s.,'&+-]|_")
_TOKEN = re.compile(r"[a-z0-9]+(?:['&+-][a-z0-9]+)*")


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFKD", char)[:1] or char
    return base.casefold()[:1] or base


def fold(text: str) -> str:
    """Lower case without accents, one character for one (ñ -> n, É -> e), so spans found in
    the folded text are the same spans of the original."""
    if text.isascii():
        return text.lower()
    return "".join(_fold_char(c) if not c.isascii() else c.lower() for c in text)


def collapse_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def clean_punctuation(text: str) -> str:
    """Drops punctuation that carries no meaning in a product name (quotes, slashes,
    brackets); keeps the dot and comma of decimals, hyphens and apostrophes inside words."""
    return _PUNCT.sub(" ", text)


def tokens(folded: str) -> list[str]:
    """Words and numbers of a folded text; a hyphen or apostrophe inside a word keeps it whole
    (coca-cola, van camp's)."""
    return _TOKEN.findall(folded)


@lru_cache(maxsize=65536)
def key(token: str) -> str:
    """The comparison form of a folded token or phrase: letters and digits only."""
    return "".join(c for c in token if c.isalnum())


def split_glued(token: str, known: Collection[str]) -> list[str]:
    """Two words typed without the space between them ("detergentepolvo"): split when one side
    is a known word (both, if a cut allows) and both have at least four letters. Known words
    and short tokens are left whole."""
    if token in known or len(token) < 8 or not token.isalpha():
        return [token]
    cuts = [(token[:cut], token[cut:]) for cut in range(len(token) - 4, 3, -1)]
    both = [(h, t) for h, t in cuts if h in known and t in known]
    one = [(h, t) for h, t in cuts if h in known or t in known]
    chosen = both or one
    return list(chosen[0]) if chosen else [token]


_CORRECTABLE = sorted(w for w in GENERIC_WORDS if len(w) >= 5)


@lru_cache(maxsize=65536)
def near_common_words(token: str) -> tuple[str, ...]:
    """The common retail words a token may be a typo of (Gasesoa, Spagehtti, Acetie: a letter
    or two off, same first letter), closest first."""
    if len(token) < 5 or not token.isalpha() or token in GENERIC_WORDS:
        return ()
    found = process.extract(token, _CORRECTABLE, scorer=fuzz.ratio, score_cutoff=82, limit=4)
    return tuple(str(word) for word, _, _ in found if word[0] == token[0])


def typos(frequency: Mapping[str, int]) -> dict[str, str]:
    """The words of a catalog (with how many names hold each) that are typos of a common word,
    and that word. A typo is rarer than the word it misspells: a word the catalog writes more
    often than any common word near it (a brand, Necota beside néctar) is not one. Among
    several near words, the one the catalog writes most (Cevreza: cerveza, not cereza)."""
    out: dict[str, str] = {}
    for token, count in frequency.items():
        near = near_common_words(token)
        if not near:
            continue
        best = max(near, key=lambda w: frequency.get(w, 0))
        if count == 1 or count <= frequency.get(best, 0):
            out[token] = best
    return out


@lru_cache(maxsize=65536)
def display_word(folded: str) -> str:
    """How a folded word is shown in a clean name: accents restored for common words, small
    words in lower case, grades and acronyms in upper case, the rest capitalised."""
    if folded in UPPER_WORDS:
        return folded.upper()
    word = ACCENTED.get(folded, folded)
    if folded in LOWER_WORDS:
        return word
    return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))
